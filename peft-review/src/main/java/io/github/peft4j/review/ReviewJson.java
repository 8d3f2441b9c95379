package io.github.peft4j.review;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.nio.file.Path;

/** The module's JSON: one mapper; compact lines for JSONL, indented documents for summaries. */
final class ReviewJson {

    static final ObjectMapper MAPPER = new ObjectMapper().configure(SerializationFeature.INDENT_OUTPUT, false);

    private ReviewJson() {}

    /** @return one line of JSON */
    static String line(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON", e);
        }
    }

    /**
     * @param file the file the line is from
     * @param line its 1-based number
     * @param text the line
     * @return the JSON object on it
     * @throws ReviewFormatException naming the file and line if it is not a JSON object
     */
    static JsonNode object(Path file, long line, String text) {
        JsonNode n;
        try {
            n = MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw new ReviewFormatException(file, line, "is not JSON: " + e.getOriginalMessage(), e);
        }
        if (n == null || !n.isObject()) {
            throw new ReviewFormatException(file, line, "is not a JSON object");
        }
        return n;
    }

    /** @return indented JSON */
    static String pretty(Object value) {
        try {
            return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON", e);
        }
    }
}
