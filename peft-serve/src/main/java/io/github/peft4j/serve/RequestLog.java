package io.github.peft4j.serve;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.peft4j.serve.policy.PiiRedaction;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The structured request log: one JSON object per line and request, appended and flushed as each
 * request ends: time, request id, tenant, the {@code model} sent, the adapter and the exact version
 * served (with its fingerprint), prompt and completion tokens, queue time, time to first token,
 * latency, finish reason or error code. Prompt and completion text are logged only when enabled,
 * and then through the PII anonymiser.
 *
 * <pre>{@code
 * try (RequestLog log = RequestLog.open(Path.of("runs/serve/requests.jsonl"), false)) {
 *     ObjectNode line = log.line();
 *     line.put("tenant", "acme");
 *     log.write(line);
 * }
 * }</pre>
 */
public final class RequestLog implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RequestLog.class);
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final BufferedWriter out;
    private final boolean withText;
    private final PiiRedaction redaction = PiiRedaction.defaults();

    private RequestLog(BufferedWriter out, boolean withText) {
        this.out = out;
        this.withText = withText;
    }

    /**
     * @param file the log file (appended to; its directory is created)
     * @param withText whether to log anonymised prompt and completion text
     * @return the log
     */
    public static RequestLog open(Path file, boolean withText) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            return new RequestLog(Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND), withText);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the request log " + file, e);
        }
    }

    /** @return a new line with the time set */
    public ObjectNode line() {
        ObjectNode n = MAPPER.createObjectNode();
        n.put("time", java.time.Instant.now().toString());
        return n;
    }

    /**
     * Adds the texts, anonymised, when the log keeps them.
     *
     * @param line the line
     * @param prompt the prompt
     * @param completion the completion, or {@code null}
     */
    public void texts(ObjectNode line, String prompt, String completion) {
        if (withText) {
            line.put("prompt", redaction.redact(prompt));
            if (completion != null) {
                line.put("completion", redaction.redact(completion));
            }
        }
    }

    /** @param line a finished line; written and flushed */
    public synchronized void write(ObjectNode line) {
        try {
            out.write(MAPPER.writeValueAsString(line));
            out.write('\n');
            out.flush();
        } catch (IOException e) {
            LOG.warn("cannot write the request log: {}", e.getMessage());
        }
    }

    @Override
    public synchronized void close() {
        try {
            out.close();
        } catch (IOException e) {
            LOG.warn("cannot close the request log: {}", e.getMessage());
        }
    }
}
