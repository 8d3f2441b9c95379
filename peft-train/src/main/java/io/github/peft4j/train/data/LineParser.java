package io.github.peft4j.train.data;

/**
 * Turns one JSONL line into a record of some shape, for {@link JsonlReader#read(java.nio.file.Path, LineParser)}:
 * the reader owns line splitting, UTF-8, line numbers and skipping; a parser owns the shape.
 *
 * <pre>{@code
 * LineParser<String> texts = (json, origin) -> JsonLine.string(JsonLine.object(json), "text");
 * }</pre>
 *
 * @param <T> the record type
 */
@FunctionalInterface
public interface LineParser<T> {

    /**
     * @param json the line's text (not blank)
     * @param origin {@code file:line}, to record in the result
     * @return the record
     * @throws BadLineException if the line is not of the shape
     */
    T parse(String json, String origin) throws BadLineException;
}
