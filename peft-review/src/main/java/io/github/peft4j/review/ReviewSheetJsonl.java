package io.github.peft4j.review;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code review.jsonl}: a header line ({@code "type": "sheet"}: id, seed, systems, meta), then one
 * line per item ({@code "type": "item"}: id, prompt, reference, outputs by label, and the system of
 * each label).
 */
final class ReviewSheetJsonl {

    static final String FORMAT = "peft4j-review-sheet";

    private ReviewSheetJsonl() {}

    static String format(ReviewSheet sheet) {
        StringBuilder sb = new StringBuilder();
        ObjectNode head = ReviewJson.MAPPER.createObjectNode();
        head.put("type", "sheet");
        head.put("format", FORMAT);
        head.put("version", 1);
        head.put("sheet", sheet.id());
        head.put("seed", sheet.seed());
        head.set("systems", ReviewJson.MAPPER.valueToTree(sheet.systems()));
        head.set("meta", sheet.meta());
        sb.append(ReviewJson.line(head)).append('\n');
        for (ReviewItem item : sheet.items()) {
            ObjectNode o = ReviewJson.MAPPER.createObjectNode();
            o.put("type", "item");
            o.put("item", item.id());
            o.put("prompt", item.prompt());
            o.put("reference", item.reference());
            o.set("outputs", ReviewJson.MAPPER.valueToTree(item.outputs()));
            o.set("systems", ReviewJson.MAPPER.valueToTree(item.systemOf()));
            sb.append(ReviewJson.line(o)).append('\n');
        }
        return sb.toString();
    }

    static ReviewSheet read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ReviewFormatException(file, 0, "cannot read the review sheet: " + e, e);
        }
        if (lines.isEmpty()) {
            throw new ReviewFormatException(file, 0, "is empty; expected a review sheet written by peft4j review make");
        }
        JsonNode head = ReviewJson.object(file, 1, lines.get(0));
        if (!FORMAT.equals(head.path("format").asText())) {
            throw new ReviewFormatException(file, 1, "is not a review sheet header (expected \"format\": \"" + FORMAT + "\")");
        }
        List<ReviewedSystem> systems = new ArrayList<>();
        for (JsonNode s : head.path("systems")) {
            systems.add(new ReviewedSystem(s.path("name").asText(), s.path("source").asText(null), s.path("fingerprint").asText(null)));
        }
        List<ReviewItem> items = new ArrayList<>();
        for (int i = 1; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) {
                continue;
            }
            JsonNode o = ReviewJson.object(file, i + 1, lines.get(i));
            Map<String, String> outputs = strings(o.path("outputs"));
            Map<String, String> systemOf = strings(o.path("systems"));
            if (!o.path("item").isTextual() || !o.path("prompt").isTextual() || outputs.isEmpty()
                    || !outputs.keySet().equals(systemOf.keySet())) {
                throw new ReviewFormatException(file, i + 1, "is not a review item (expected item, prompt, and outputs"
                        + " and systems with the same labels)");
            }
            items.add(new ReviewItem(o.get("item").asText(), o.get("prompt").asText(), o.path("reference").asText(null),
                    outputs, systemOf));
        }
        return new ReviewSheet(head.path("sheet").asText(), head.path("seed").asLong(), systems, items, head.path("meta"));
    }

    private static Map<String, String> strings(JsonNode object) {
        Map<String, String> out = new LinkedHashMap<>();
        object.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
        return out;
    }
}
