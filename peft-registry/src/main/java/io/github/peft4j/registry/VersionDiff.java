package io.github.peft4j.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The differences between two versions: config keys ({@code config.r}) and metadata, with the
 * lineage flattened to dotted paths ({@code lineage.eval_report.domain.after.perplexity}).
 *
 * <pre>{@code
 * for (VersionDiff.Change ch : registry.diff("support:1", "support:2").changes()) {
 *     System.out.println(ch.field() + ": " + ch.left() + " -> " + ch.right());
 * }
 * }</pre>
 *
 * @param left the first version ({@code name:N})
 * @param right the second version
 * @param changes every field whose value differs, sorted by field
 */
public record VersionDiff(String left, String right, List<Change> changes) {

    /**
     * One differing field; a side without the field has {@code null}.
     *
     * @param field the dotted field path
     * @param left its value in the first version (JSON text)
     * @param right its value in the second version
     */
    public record Change(String field, String left, String right) {}

    static VersionDiff of(AdapterVersion a, JsonNode configA, AdapterVersion b, JsonNode configB) {
        Map<String, String> left = flatten(a, configA);
        Map<String, String> right = flatten(b, configB);
        TreeSet<String> fields = new TreeSet<>(left.keySet());
        fields.addAll(right.keySet());
        List<Change> changes = new ArrayList<>();
        for (String f : fields) {
            if (!Objects.equals(left.get(f), right.get(f))) {
                changes.add(new Change(f, left.get(f), right.get(f)));
            }
        }
        return new VersionDiff(a.ref(), b.ref(), List.copyOf(changes));
    }

    /** @return the diff as JSON */
    public ObjectNode toJson() {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("left", left);
        o.put("right", right);
        ArrayNode arr = o.putArray("changes");
        for (Change c : changes) {
            arr.addObject().put("field", c.field()).put("left", c.left()).put("right", c.right());
        }
        return o;
    }

    private static Map<String, String> flatten(AdapterVersion v, JsonNode config) {
        Map<String, String> out = new TreeMap<>();
        flatten("config", config, out);
        ObjectNode meta = v.toJson();
        meta.remove(List.of("ref", "version", "name", "lineage"));
        flatten("", meta, out);
        flatten("lineage", v.lineage(), out);
        return out;
    }

    private static void flatten(String prefix, JsonNode node, Map<String, String> out) {
        if (node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                flatten(prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey(), e.getValue(), out);
            }
        } else if (!node.isNull() && !node.isMissingNode()) {
            out.put(prefix, node.isTextual() ? node.asText() : node.toString());
        }
    }
}
