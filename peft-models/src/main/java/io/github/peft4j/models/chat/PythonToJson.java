package io.github.peft4j.models.chat;

import io.github.peft4j.core.safetensors.JsonText;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;
import java.util.Map;

/**
 * The {@code tojson} filter as transformers defines it for chat templates:
 * {@code json.dumps(x, ensure_ascii=False, indent=indent, sort_keys=False)}, so {@code ", "} and
 * {@code ": "} between items without an indent, one item per line with one (jinjava's own filter
 * writes compact JSON).
 */
final class PythonToJson implements Filter {

    @Override
    public String getName() {
        return "tojson";
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
        return filter(var, interpreter, args, Map.of());
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
        Object indent = kwargs.containsKey("indent") ? kwargs.get("indent") : args.length > 0 ? args[0] : null;
        StringBuilder sb = new StringBuilder();
        write(sb, var, indent == null ? -1 : ((Number) indent).intValue(), 0);
        return sb.toString();
    }

    static void write(StringBuilder sb, Object value, int indent, int depth) {
        if (value == null) {
            sb.append("null");
        } else if (value instanceof Boolean || value instanceof Integer || value instanceof Long) {
            sb.append(value);
        } else if (value instanceof Number n) {
            double d = n.doubleValue();
            sb.append(d == Math.rint(d) && Math.abs(d) < 1e16 ? String.valueOf((long) d) + ".0" : String.valueOf(d));
        } else if (value instanceof Map<?, ?> map) {
            writeItems(sb, "{", "}", map.entrySet(), indent, depth, (e, out) -> {
                string(out, String.valueOf(e.getKey()));
                out.append(": ");
                write(out, e.getValue(), indent, depth + 1);
            });
        } else if (value instanceof Iterable<?> list) {
            writeItems(sb, "[", "]", list, indent, depth, (v, out) -> write(out, v, indent, depth + 1));
        } else if (value instanceof Object[] array) {
            write(sb, java.util.Arrays.asList(array), indent, depth);
        } else {
            string(sb, String.valueOf(value));
        }
    }

    private static <T> void writeItems(StringBuilder sb, String open, String close, Iterable<T> items, int indent,
            int depth, java.util.function.BiConsumer<T, StringBuilder> item) {
        sb.append(open);
        boolean first = true;
        for (T t : items) {
            if (!first) {
                sb.append(indent < 0 ? ", " : ",");
            }
            if (indent >= 0) {
                sb.append('\n').append(" ".repeat(indent * (depth + 1)));
            }
            item.accept(t, sb);
            first = false;
        }
        if (!first && indent >= 0) {
            sb.append('\n').append(" ".repeat(indent * depth));
        }
        sb.append(close);
    }

    private static void string(StringBuilder sb, String s) {
        JsonText.appendSerde(sb, s); // Python's ensure_ascii=False escapes as serde_json does
    }
}
