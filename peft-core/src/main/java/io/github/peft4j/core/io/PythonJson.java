package io.github.peft4j.core.io;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.util.RawValue;
import java.io.IOException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;

/**
 * JSON written as Python's {@code json.dumps(obj, indent=2, sort_keys=True)} writes it, which is
 * how Hugging Face PEFT writes {@code adapter_config.json}: two-space indent, {@code ": "} between
 * key and value, one element per line, {@code {}} and {@code []} for empty containers, non-ASCII
 * escaped, floats as Python's {@code repr} ({@code 0.05}, {@code 1e-05}, {@code 16.0}).
 *
 * <pre>{@code
 * String text = PythonJson.write(PythonJson.mapper().valueToTree(config));
 * }</pre>
 */
public final class PythonJson {

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(JsonWriteFeature.ESCAPE_NON_ASCII)
            .disable(JsonWriteFeature.WRITE_HEX_UPPER_CASE)
            .enable(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .addModule(new SimpleModule().addSerializer(Double.class, new PythonFloatSerializer())
                    .addSerializer(double.class, new PythonFloatSerializer())
                    .addSerializer(Float.class, new PythonFloatSerializer(Float.class))
                    .addSerializer(float.class, new PythonFloatSerializer(Float.class)))
            .build();

    private PythonJson() {}

    /** @return the mapper used for reading and for converting objects to trees */
    public static ObjectMapper mapper() {
        return MAPPER;
    }

    /**
     * @param tree a JSON tree
     * @return its text in Python's {@code indent=2, sort_keys=True} form, with no trailing newline
     */
    public static String write(JsonNode tree) {
        try {
            return MAPPER.writer(new PythonPrettyPrinter()).writeValueAsString(sorted(tree));
        } catch (IOException e) {
            throw new IllegalStateException("cannot serialise JSON", e);
        }
    }

    /**
     * Python's layout on its own, for a writer that keeps its own key order and escaping: it is
     * also serde_json's pretty layout, which {@code tokenizer.json} uses.
     *
     * <pre>{@code
     * String text = new ObjectMapper().writer(PythonJson.prettyPrinter()).writeValueAsString(tree);
     * }</pre>
     *
     * @return a fresh printer: two-space indent, {@code "key": value}, one element per line,
     *     {@code {}} and {@code []} for empty containers
     */
    public static DefaultPrettyPrinter prettyPrinter() {
        return new PythonPrettyPrinter();
    }

    private static JsonNode sorted(JsonNode node) {
        if (node.isObject()) {
            List<String> names = new ArrayList<>();
            node.fieldNames().forEachRemaining(names::add);
            Collections.sort(names);
            ObjectNode out = MAPPER.createObjectNode();
            for (String name : names) {
                out.set(name, sorted(node.get(name)));
            }
            return out;
        }
        if (node.isArray()) {
            var out = MAPPER.createArrayNode();
            for (Iterator<JsonNode> it = node.elements(); it.hasNext(); ) {
                out.add(sorted(it.next()));
            }
            return out;
        }
        if (node.isFloatingPointNumber()) {
            return MAPPER.getNodeFactory().rawValueNode(new RawValue(pythonFloat(node.doubleValue())));
        }
        return node;
    }

    /**
     * Python's {@code repr(float)}: the shortest round-tripping digits, in positional notation when
     * the decimal exponent is in [-4, 16), otherwise as {@code 1e-05} / {@code 1e+16}.
     *
     * @param value a double
     * @return its Python text
     */
    public static String pythonFloat(double value) {
        if (Double.isNaN(value)) {
            return "NaN";
        }
        if (Double.isInfinite(value)) {
            return value > 0 ? "Infinity" : "-Infinity";
        }
        if (value == 0) {
            return (1 / value < 0) ? "-0.0" : "0.0";
        }
        BigDecimal d = new BigDecimal(Double.toString(value)).stripTrailingZeros();
        String digits = d.unscaledValue().abs().toString();
        int exponent = digits.length() - 1 - d.scale(); // value = digits[0].digits[1..] x 10^exponent
        String sign = value < 0 ? "-" : "";
        if (exponent >= -4 && exponent < 16) {
            String plain = d.abs().toPlainString();
            return sign + (plain.contains(".") ? plain : plain + ".0");
        }
        String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
        String exp = String.format("%s%02d", exponent < 0 ? "-" : "+", Math.abs(exponent));
        return sign + mantissa + "e" + exp;
    }

    private static final class PythonFloatSerializer extends StdSerializer<Object> {
        private static final long serialVersionUID = 1L;

        PythonFloatSerializer() {
            super(Object.class);
        }

        PythonFloatSerializer(Class<?> type) {
            super(Object.class);
        }

        @Override
        public void serialize(Object value, JsonGenerator g, SerializerProvider provider) throws IOException {
            g.writeRawValue(pythonFloat(((Number) value).doubleValue()));
        }
    }

    /** Python's layout: no space before ':', one element per line, nothing inside empty containers. */
    private static final class PythonPrettyPrinter extends DefaultPrettyPrinter {
        private static final long serialVersionUID = 1L;

        PythonPrettyPrinter() {
            super(Separators.createDefaultInstance()
                    .withObjectFieldValueSpacing(Separators.Spacing.AFTER)
                    .withArrayValueSpacing(Separators.Spacing.NONE)
                    .withObjectEntrySpacing(Separators.Spacing.NONE));
            DefaultIndenter indenter = new DefaultIndenter("  ", "\n");
            indentObjectsWith(indenter);
            indentArraysWith(indenter);
        }

        @Override
        public DefaultPrettyPrinter createInstance() {
            return new PythonPrettyPrinter();
        }

        @Override
        public void writeEndObject(JsonGenerator g, int nrOfEntries) throws IOException {
            if (!_objectIndenter.isInline()) {
                --_nesting;
            }
            if (nrOfEntries > 0) {
                _objectIndenter.writeIndentation(g, _nesting);
            }
            g.writeRaw('}');
        }

        @Override
        public void writeEndArray(JsonGenerator g, int nrOfValues) throws IOException {
            if (!_arrayIndenter.isInline()) {
                --_nesting;
            }
            if (nrOfValues > 0) {
                _arrayIndenter.writeIndentation(g, _nesting);
            }
            g.writeRaw(']');
        }
    }

}
