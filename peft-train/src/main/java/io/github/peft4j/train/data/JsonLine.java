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
 * The pieces every {@link LineParser} of a JSONL line needs, with the messages and
 * {@link BadLineReason}s of the training-data reader: the line as a JSON object, a string field, a
 * {@code [{"role","content"}]} message list. Jackson's own location ({@code [Source: ...; line: 1,
 * column: 9]}: every line is line 1 to Jackson) is replaced by the column alone.
 *
 * <pre>{@code
 * JsonNode node = JsonLine.object("{\"prompt\":\"hi\"}");
 * String prompt = JsonLine.string(node, "prompt");
 * }</pre>
 */
public final class JsonLine {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Pattern JACKSON_LOCATION = Pattern.compile("\\[Source: [^\\]]*; line: \\d+, column: (\\d+)\\]");
    private static final Pattern JACKSON_SOURCE = Pattern.compile("\\s*\\[Source: [^\\]]*\\]");

    private JsonLine() {}

    /**
     * @param line the JSON text
     * @return it as an object node
     * @throws BadLineException if it is not JSON, or not an object
     */
    public static JsonNode object(String line) throws BadLineException {
        JsonNode node;
        try {
            node = MAPPER.readTree(line);
        } catch (JsonProcessingException e) {
            throw new BadLineException(BadLineReason.INVALID_JSON, "not valid JSON: " + jsonProblem(e));
        }
        if (node == null || !node.isObject()) {
            throw new BadLineException(BadLineReason.NOT_AN_OBJECT,
                    "expected a JSON object, found " + (node == null ? "nothing" : node.getNodeType()));
        }
        return node;
    }

    /**
     * @param node an object
     * @param key a key
     * @return its string value
     * @throws BadLineException if the key is missing or not a string
     */
    public static String string(JsonNode node, String key) throws BadLineException {
        JsonNode v = node.get(key);
        if (v == null) {
            throw new BadLineException(BadLineReason.MISSING_KEY, "missing \"" + key + "\" (keys present: " + keys(node) + ")");
        }
        if (!v.isTextual()) {
            throw new BadLineException(BadLineReason.WRONG_TYPE, "\"" + key + "\" must be a string, found " + v.getNodeType());
        }
        return v.textValue();
    }

    /**
     * @param messages the value of a message-list key
     * @param key the key, for messages
     * @return the messages
     * @throws BadLineException unless it is a non-empty array of {@code {"role","content"}} objects
     */
    public static List<ChatMessage> messages(JsonNode messages, String key) throws BadLineException {
        if (!messages.isArray() || messages.isEmpty()) {
            throw new BadLineException(BadLineReason.WRONG_TYPE,
                    "\"" + key + "\" must be a non-empty array of {\"role\",\"content\"} objects");
        }
        List<ChatMessage> out = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            JsonNode m = messages.get(i);
            if (!m.isObject()) {
                throw new BadLineException(BadLineReason.WRONG_TYPE,
                        key + "[" + i + "] must be an object with \"role\" and \"content\"");
            }
            try {
                out.add(new ChatMessage(string(m, "role"), string(m, "content")));
            } catch (BadLineException e) {
                throw new BadLineException(e.reason(), key + "[" + i + "]: " + e.getMessage());
            }
        }
        return out;
    }

    /**
     * @param node an object
     * @return its keys, sorted
     */
    public static TreeSet<String> keys(JsonNode node) {
        TreeSet<String> keys = new TreeSet<>();
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            keys.add(it.next());
        }
        return keys;
    }

    /** Jackson's message without its source location, and the column it failed at. */
    static String jsonProblem(JsonProcessingException e) {
        String message = JACKSON_LOCATION.matcher(String.valueOf(e.getOriginalMessage())).replaceAll("column $1");
        message = JACKSON_SOURCE.matcher(message).replaceAll("");
        JsonLocation at = e.getLocation();
        return at == null || at.getColumnNr() < 1 ? message : message + " (column " + at.getColumnNr() + ")";
    }
}
