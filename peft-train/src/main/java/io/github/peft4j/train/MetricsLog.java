package io.github.peft4j.train;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.peft4j.core.PeftFormatException;
import io.github.peft4j.core.files.AtomicFiles;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code metrics.jsonl}: one JSON object per log line (training, evaluation, the final summary),
 * appended and flushed as training goes. Non-finite numbers are written as {@code null}. A resumed
 * run first drops the lines written after its checkpoint.
 */
final class MetricsLog implements AutoCloseable {

    static final String FILE = "metrics.jsonl";
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final Path file;
    private BufferedWriter out;

    MetricsLog(Path outputDir, boolean append) {
        this.file = outputDir.resolve(FILE);
        try {
            Files.createDirectories(outputDir);
            out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE, append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING);
        } catch (IOException e) {
            throw new PeftFormatException(file, null, "cannot open for writing: " + e.getMessage(), e);
        }
    }

    /** Rewrites the file keeping only lines of steps up to {@code step} (atomically). */
    static void truncateAfter(Path outputDir, int step) {
        Path file = outputDir.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            return;
        }
        try {
            List<String> kept = new ArrayList<>();
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (line.isBlank()) {
                    continue;
                }
                try {
                    JsonNode n = MAPPER.readTree(line);
                    if (n.has("step") && n.get("step").asInt() <= step && !n.has("train_runtime")) {
                        kept.add(line);
                    }
                } catch (JsonProcessingException e) {
                    // a line cut by a crash: drop it
                }
            }
            String text = kept.isEmpty() ? "" : String.join("\n", kept) + "\n";
            AtomicFiles.write(file, text.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new PeftFormatException(file, null, "cannot rewrite: " + e.getMessage(), e);
        }
    }

    void write(Map<String, Object> entry) {
        Map<String, Object> clean = new LinkedHashMap<>();
        entry.forEach((k, v) -> clean.put(k, v instanceof Double d && !Double.isFinite(d) ? null : v));
        try {
            out.write(MAPPER.writeValueAsString(clean));
            out.write('\n');
            out.flush();
        } catch (IOException e) {
            throw new PeftFormatException(file, null, "cannot append: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        try {
            out.close();
        } catch (IOException e) {
            throw new PeftFormatException(file, null, "cannot close: " + e.getMessage(), e);
        }
    }
}
