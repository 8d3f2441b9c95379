package io.github.peft4j.train.data;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One JSONL line to one {@link DataRecord}, or a {@link BadLineException} saying why not, with its
 * {@link BadLineReason}. The reader adds file and line number; the JSON pieces are {@link JsonLine}'s.
 *
 * <pre>{@code
 * DataRecord r = RecordParser.parse("{\"text\":\"hi\"}", "data.jsonl:7");
 * }</pre>
 */
final class RecordParser {

    private RecordParser() {}

    /**
     * @param line the JSON text
     * @param origin the origin to record
     * @return the record
     * @throws BadLineException if the line is not one of the shapes
     */
    static DataRecord parse(String line, String origin) throws BadLineException {
        JsonNode node = JsonLine.object(line);
        if (node.has("messages")) {
            return new DataRecord.Chat(JsonLine.messages(node.get("messages"), "messages"), origin);
        }
        if (node.has("prompt") || node.has("completion")) {
            return new DataRecord.PromptCompletion(JsonLine.string(node, "prompt"), JsonLine.string(node, "completion"),
                    origin);
        }
        if (node.has("text")) {
            String text = JsonLine.string(node, "text");
            if (node.has("label")) {
                JsonNode label = node.get("label");
                if (!(label.isTextual() || label.isIntegralNumber())) {
                    throw new BadLineException(BadLineReason.WRONG_TYPE,
                            "\"label\" must be a string or an integer, found " + label.getNodeType());
                }
                return new DataRecord.LabeledText(text, label.asText(), origin);
            }
            return new DataRecord.Text(text, origin);
        }
        throw new BadLineException(BadLineReason.UNKNOWN_SHAPE, "expected {\"text\"}, {\"prompt\",\"completion\"},"
                + " {\"messages\":[...]} or {\"text\",\"label\"}; found keys " + JsonLine.keys(node));
    }
}
