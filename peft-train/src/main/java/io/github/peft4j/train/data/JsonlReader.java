package io.github.peft4j.train.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.peft4j.core.PeftFormatException;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a JSONL file (one JSON object per line, UTF-8) of training examples in any of the shapes
 * of {@link DataRecord}: {@code {"text"}}, {@code {"prompt","completion"}},
 * {@code {"messages":[{"role","content"}]}} or {@code {"text","label"}}. Other keys are ignored;
 * blank lines are skipped. A bad line is an error naming the file and line, or, if asked, is
 * skipped and counted.
 *
 * <pre>{@code
 * JsonlReader.Result data = JsonlReader.builder().skipBadLines(true).build().read(Path.of("train.jsonl"));
 * System.out.println(data.records().size() + " examples, " + data.skipped().size() + " bad lines skipped");
 * }</pre>
 */
public final class JsonlReader {

    private static final Logger LOG = LoggerFactory.getLogger(JsonlReader.class);
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final boolean skipBadLines;

    private JsonlReader(boolean skipBadLines) {
        this.skipBadLines = skipBadLines;
    }

    /** @return a builder; by default a bad line is an error */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A line that was skipped.
     *
     * @param line its 1-based number
     * @param problem why
     */
    public record BadLine(long line, String problem) {}

    /**
     * What was read.
     *
     * @param file the file
     * @param records the examples, in file order, each with its {@code file:line} origin
     * @param skipped the bad lines skipped (empty unless skipping was asked for)
     */
    public record Result(Path file, List<DataRecord> records, List<BadLine> skipped) {}

    /**
     * @param file a JSONL file
     * @return its records
     * @throws PeftFormatException naming the file and line of the first bad line (unless skipping),
     *     or the file if it cannot be read
     */
    public Result read(Path file) {
        List<DataRecord> records = new ArrayList<>();
        List<BadLine> skipped = new ArrayList<>();
        var decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try (BufferedReader in = new BufferedReader(
                new java.io.InputStreamReader(Files.newInputStream(file), decoder))) {
            String line;
            long n = 0;
            while ((line = in.readLine()) != null) {
                n++;
                if (n == 1 && line.startsWith("\uFEFF")) {
                    line = line.substring(1);
                }
                if (line.isBlank()) {
                    continue;
                }
                String origin = file.getFileName() + ":" + n;
                try {
                    records.add(parse(line, origin));
                } catch (LineException e) {
                    if (!skipBadLines) {
                        throw new PeftFormatException(file, "line " + n, e.getMessage());
                    }
                    skipped.add(new BadLine(n, e.getMessage()));
                }
            }
        } catch (CharacterCodingException e) {
            throw new PeftFormatException(file, null, "not valid UTF-8: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new PeftFormatException(file, null, "cannot read: " + e.getMessage(), e);
        }
        if (!skipped.isEmpty()) {
            LOG.warn("{}: skipped {} bad line(s), first at line {}: {}", file, skipped.size(),
                    skipped.get(0).line(), skipped.get(0).problem());
        }
        return new Result(file, List.copyOf(records), List.copyOf(skipped));
    }

    /**
     * Parses one line.
     *
     * @param line the JSON text
     * @param origin the origin to record
     * @return the record
     * @throws LineException if the line is not one of the shapes
     */
    static DataRecord parse(String line, String origin) throws LineException {
        JsonNode node;
        try {
            node = MAPPER.readTree(line);
        } catch (JsonProcessingException e) {
            throw new LineException("not valid JSON: " + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) {
            throw new LineException("expected a JSON object, found " + (node == null ? "nothing" : node.getNodeType()));
        }
        if (node.has("messages")) {
            return new DataRecord.Chat(messages(node.get("messages")), origin);
        }
        if (node.has("prompt") || node.has("completion")) {
            return new DataRecord.PromptCompletion(string(node, "prompt"), string(node, "completion"), origin);
        }
        if (node.has("text")) {
            String text = string(node, "text");
            if (node.has("label")) {
                JsonNode label = node.get("label");
                if (!(label.isTextual() || label.isIntegralNumber())) {
                    throw new LineException("\"label\" must be a string or an integer, found " + label.getNodeType());
                }
                return new DataRecord.LabeledText(text, label.asText(), origin);
            }
            return new DataRecord.Text(text, origin);
        }
        throw new LineException("expected {\"text\"}, {\"prompt\",\"completion\"}, {\"messages\":[...]} or"
                + " {\"text\",\"label\"}; found keys " + keys(node));
    }

    private static List<ChatMessage> messages(JsonNode messages) throws LineException {
        if (!messages.isArray() || messages.isEmpty()) {
            throw new LineException("\"messages\" must be a non-empty array of {\"role\",\"content\"} objects");
        }
        List<ChatMessage> out = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            JsonNode m = messages.get(i);
            if (!m.isObject()) {
                throw new LineException("messages[" + i + "] must be an object with \"role\" and \"content\"");
            }
            try {
                out.add(new ChatMessage(string(m, "role"), string(m, "content")));
            } catch (LineException e) {
                throw new LineException("messages[" + i + "]: " + e.getMessage());
            }
        }
        return out;
    }

    private static String string(JsonNode node, String key) throws LineException {
        JsonNode v = node.get(key);
        if (v == null) {
            throw new LineException("missing \"" + key + "\" (keys present: " + keys(node) + ")");
        }
        if (!v.isTextual()) {
            throw new LineException("\"" + key + "\" must be a string, found " + v.getNodeType());
        }
        return v.textValue();
    }

    private static TreeSet<String> keys(JsonNode node) {
        TreeSet<String> keys = new TreeSet<>();
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            keys.add(it.next());
        }
        return keys;
    }

    /** A line that is not a valid record; the reader adds file and line number. */
    static final class LineException extends Exception {
        private static final long serialVersionUID = 1L;

        LineException(String message) {
            super(message);
        }
    }

    /** Options of the reader. */
    public static final class Builder {
        private boolean skipBadLines;

        private Builder() {}

        /**
         * @param skip skip bad lines (counted in {@link Result#skipped()}) instead of failing
         * @return this
         */
        public Builder skipBadLines(boolean skip) {
            this.skipBadLines = skip;
            return this;
        }

        /** @return the reader */
        public JsonlReader build() {
            return new JsonlReader(skipBadLines);
        }
    }
}
