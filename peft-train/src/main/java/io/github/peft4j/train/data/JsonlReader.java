package io.github.peft4j.train.data;

import io.github.peft4j.core.PeftFormatException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a JSONL file (one JSON object per line, UTF-8) of training examples in any of the shapes
 * of {@link DataRecord}: {@code {"text"}}, {@code {"prompt","completion"}},
 * {@code {"messages":[{"role","content"}]}} or {@code {"text","label"}}. Other keys are ignored;
 * blank lines are skipped. Each line is decoded on its own, so a line that is not UTF-8 is a bad
 * line like any other. A bad line is an error naming the file and line (strict, the default), or,
 * if asked, is skipped and counted by {@link BadLineReason}. A file with no records at all is an
 * error naming the file.
 *
 * <pre>{@code
 * JsonlReader.Result data = JsonlReader.builder().skipBadLines(true).build().read(Path.of("train.jsonl"));
 * System.out.println(data.records().size() + " examples; skipped: " + data.skippedSummary());
 * }</pre>
 */
public final class JsonlReader {

    private static final Logger LOG = LoggerFactory.getLogger(JsonlReader.class);

    private final boolean skipBadLines;

    private JsonlReader(boolean skipBadLines) {
        this.skipBadLines = skipBadLines;
    }

    /** @return a builder; by default the reader is strict: a bad line is an error */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A line that was skipped.
     *
     * @param line its 1-based number
     * @param reason the kind of problem
     * @param problem why, in words
     */
    public record BadLine(long line, BadLineReason reason, String problem) {}

    /**
     * What was read.
     *
     * @param file the file
     * @param records the examples, in file order, each with its {@code file:line} origin
     * @param skipped the bad lines skipped (empty unless skipping was asked for)
     */
    public record Result(Path file, List<DataRecord> records, List<BadLine> skipped) {

        /** @return skipped lines counted by reason, in the order of {@link BadLineReason} */
        public Map<BadLineReason, Integer> skippedByReason() {
            return byReason(skipped);
        }

        /**
         * @return e.g. {@code "3 bad lines (2 invalid JSON, 1 invalid UTF-8), first at line 5: ..."},
         *     or {@code "none"}
         */
        public String skippedSummary() {
            return summary(skipped);
        }
    }

    /**
     * What was read by a {@link LineParser} of another shape (preference pairs, for instance).
     *
     * @param file the file
     * @param records the records, in file order
     * @param skipped the bad lines skipped (empty unless skipping was asked for)
     * @param <T> the record type
     */
    public record Parsed<T>(Path file, List<T> records, List<BadLine> skipped) {

        /** @return as {@link Result#skippedSummary()} */
        public String skippedSummary() {
            return summary(skipped);
        }
    }

    private static Map<BadLineReason, Integer> byReason(List<BadLine> skipped) {
        Map<BadLineReason, Integer> counts = new EnumMap<>(BadLineReason.class);
        skipped.forEach(b -> counts.merge(b.reason(), 1, Integer::sum));
        return Collections.unmodifiableMap(counts);
    }

    private static String summary(List<BadLine> skipped) {
        if (skipped.isEmpty()) {
            return "none";
        }
        String reasons = byReason(skipped).entrySet().stream()
                .map(e -> e.getValue() + " " + e.getKey().label())
                .collect(Collectors.joining(", "));
        BadLine first = skipped.get(0);
        return skipped.size() + " bad line" + (skipped.size() == 1 ? "" : "s") + " (" + reasons
                + "), first at line " + first.line() + ": " + first.problem();
    }

    /**
     * @param file a JSONL file
     * @return its records
     * @throws PeftFormatException naming the file and line of the first bad line (when strict),
     *     or the file if it is a directory, cannot be read, or holds no records
     */
    public Result read(Path file) {
        Parsed<DataRecord> parsed = read(file, RecordParser::parse);
        return new Result(file, parsed.records(), parsed.skipped());
    }

    /**
     * Reads records of another shape with the same rules: line numbers, UTF-8 per line, blank lines
     * skipped, bad lines an error or skipped and counted.
     *
     * <pre>{@code
     * JsonlReader.Parsed<PreferencePair> pairs = JsonlReader.builder().build().read(file, PreferenceParser::parse);
     * }</pre>
     *
     * @param file a JSONL file
     * @param parser the shape of a line
     * @param <T> the record type
     * @return its records
     * @throws PeftFormatException as {@link #read(Path)}
     */
    public <T> Parsed<T> read(Path file, LineParser<T> parser) {
        if (Files.isDirectory(file)) {
            throw new PeftFormatException(file, null, "is a directory, not a JSONL file");
        }
        List<T> records = new ArrayList<>();
        List<BadLine> skipped = new ArrayList<>();
        try (InputStream in = Files.newInputStream(file)) {
            JsonlLines lines = new JsonlLines(in);
            for (JsonlLines.Line line; (line = lines.next()) != null; ) {
                BadLine bad = readLine(file, line, parser, records);
                if (bad != null) {
                    if (!skipBadLines) {
                        throw new PeftFormatException(file, "line " + bad.line(), bad.problem());
                    }
                    skipped.add(bad);
                }
            }
        } catch (IOException e) {
            throw new PeftFormatException(file, null, "cannot read: " + e, e);
        }
        if (records.isEmpty()) {
            throw new PeftFormatException(file, null, skipped.isEmpty() ? "no records: the file is empty"
                    : "no records: every line was skipped: " + summary(skipped));
        }
        if (!skipped.isEmpty()) {
            LOG.warn("{}: skipped {}", file, summary(skipped));
        }
        return new Parsed<>(file, List.copyOf(records), List.copyOf(skipped));
    }

    /** Adds the line's record, or returns why it has none ({@code null} for a record or a blank line). */
    private static <T> BadLine readLine(Path file, JsonlLines.Line line, LineParser<T> parser, List<T> records) {
        if (line.text() == null) {
            return new BadLine(line.number(), BadLineReason.INVALID_UTF8, line.problem());
        }
        if (line.text().isBlank()) {
            return null;
        }
        try {
            records.add(parser.parse(line.text(), file.getFileName() + ":" + line.number()));
            return null;
        } catch (BadLineException e) {
            return new BadLine(line.number(), e.reason(), e.getMessage());
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

        /**
         * @param strict fail at the first bad line, naming file and line (the default); the
         *     opposite of {@link #skipBadLines}
         * @return this
         */
        public Builder strict(boolean strict) {
            return skipBadLines(!strict);
        }

        /** @return the reader */
        public JsonlReader build() {
            return new JsonlReader(skipBadLines);
        }
    }
}
