package io.github.peft4j.train.data;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * One JSONL line to one {@link DataRecord}, or a {@link LineException} saying why not, with its
 * {@link BadLineReason}. The reader adds file and line number; Jackson's own location
 * ({@code [Source: ...; line: 1, column: 9]}: every line is line 1 to Jackson) is replaced by the
 * column alone.
 *
 * <pre>{@code
 * DataRecord r = RecordParser.parse("{\"text\":\"hi\"}", "data.jsonl:7");
 * }</pre>
 */
final class RecordParser {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Pattern JACKSON_LOCATION = Pattern.compile("\\[Source: [^\\]]*; line: \\d+, column: (\\d+)\\]");
    private static final Pattern JACKSON_SOURCE = Pattern.compile("\\s*\\[Source: [^\\]]*\\]");

    private RecordParser() {}

    /**
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
            throw new LineException(BadLineReason.INVALID_JSON, "not valid JSON: " + jsonProblem(e));
        }
        if (node == null || !node.isObject()) {
            throw new LineException(BadLineReason.NOT_AN_OBJECT,
                    "expected a JSON object, found " + (node == null ? "nothing" : node.getNodeType()));
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
                    throw new LineException(BadLineReason.WRONG_TYPE,
                            "\"label\" must be a string or an integer, found " + label.getNodeType());
                }
                return new DataRecord.LabeledText(text, label.asText(), origin);
            }
            return new DataRecord.Text(text, origin);
        }
        throw new LineException(BadLineReason.UNKNOWN_SHAPE, "expected {\"text\"}, {\"prompt\",\"completion\"},"
                + " {\"messages\":[...]} or {\"text\",\"label\"}; found keys " + keys(node));
    }

    /** Jackson's message without its source location, and the column it failed at. */
    static String jsonProblem(JsonProcessingException e) {
        String message = JACKSON_LOCATION.matcher(String.valueOf(e.getOriginalMessage())).replaceAll("column $1");
        message = JACKSON_SOURCE.matcher(message).replaceAll("");
        JsonLocation at = e.getLocation();
        return at == null || at.getColumnNr() < 1 ? message : message + " (column " + at.getColumnNr() + ")";
    }

    private static List<ChatMessage> messages(JsonNode messages) throws LineException {
        if (!messages.isArray() || messages.isEmpty()) {
            throw new LineException(BadLineReason.WRONG_TYPE,
                    "\"messages\" must be a non-empty array of {\"role\",\"content\"} objects");
        }
        List<ChatMessage> out = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            JsonNode m = messages.get(i);
            if (!m.isObject()) {
                throw new LineException(BadLineReason.WRONG_TYPE,
                        "messages[" + i + "] must be an object with \"role\" and \"content\"");
            }
            try {
                out.add(new ChatMessage(string(m, "role"), string(m, "content")));
            } catch (LineException e) {
                throw new LineException(e.reason(), "messages[" + i + "]: " + e.getMessage());
            }
        }
        return out;
    }

    private static String string(JsonNode node, String key) throws LineException {
        JsonNode v = node.get(key);
        if (v == null) {
            throw new LineException(BadLineReason.MISSING_KEY, "missing \"" + key + "\" (keys present: " + keys(node) + ")");
        }
        if (!v.isTextual()) {
            throw new LineException(BadLineReason.WRONG_TYPE, "\"" + key + "\" must be a string, found " + v.getNodeType());
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

        private final BadLineReason reason;

        LineException(BadLineReason reason, String message) {
            super(message);
            this.reason = reason;
        }

        BadLineReason reason() {
            return reason;
        }
    }
}
