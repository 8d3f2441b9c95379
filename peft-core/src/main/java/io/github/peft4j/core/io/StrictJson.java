package io.github.peft4j.core.io;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.type.LogicalType;
import io.github.peft4j.core.PeftFormatException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;

/**
 * PEFT's JSON types are the contract (issue 24): a file Python's {@code json.load} reads as UTF-8
 * and a field of the type PEFT's dataclass declares. No coercion ({@code use_dora: 16} is not
 * {@code true}, {@code "8"} is not 8, {@code 1e8} is not an int), nothing after the object, no
 * UTF-16 or BOM. Reading configs only; writing stays {@link PythonJson}'s.
 *
 * <pre>{@code
 * JsonNode tree = StrictJson.READER.readTree(StrictJson.utf8(file, Files.readAllBytes(file)));
 * }</pre>
 */
final class StrictJson {

    /** {@link PythonJson#mapper()} without scalar coercion. */
    static final ObjectMapper MAPPER = strict(PythonJson.mapper().copy());

    /** Reads one JSON value and fails on anything after it. */
    static final ObjectReader READER = MAPPER.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private StrictJson() {}

    private static ObjectMapper strict(ObjectMapper m) {
        m.disable(MapperFeature.ALLOW_COERCION_OF_SCALARS);
        m.disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT);
        for (LogicalType type : new LogicalType[] {LogicalType.Boolean, LogicalType.Integer, LogicalType.Float,
                LogicalType.Textual, LogicalType.Enum}) {
            for (CoercionInputShape shape : new CoercionInputShape[] {CoercionInputShape.Integer,
                    CoercionInputShape.Float, CoercionInputShape.Boolean, CoercionInputShape.String}) {
                m.coercionConfigFor(type).setCoercion(shape, CoercionAction.Fail);
            }
        }
        m.coercionConfigFor(LogicalType.Float).setCoercion(CoercionInputShape.Integer, CoercionAction.TryConvert);
        m.coercionConfigFor(LogicalType.Textual).setCoercion(CoercionInputShape.String, CoercionAction.TryConvert);
        m.coercionConfigFor(LogicalType.Enum).setCoercion(CoercionInputShape.String, CoercionAction.TryConvert);
        return m;
    }

    /**
     * @param file the file, for messages
     * @param bytes its content
     * @return the text, decoded as strict UTF-8 without a byte-order mark (what {@code json.load} reads)
     * @throws PeftFormatException naming the file and the byte offset when it is not
     */
    static String utf8(Path file, byte[] bytes) {
        if (bytes.length >= 2 && ((bytes[0] == (byte) 0xFF && bytes[1] == (byte) 0xFE)
                || (bytes[0] == (byte) 0xFE && bytes[1] == (byte) 0xFF)
                || (bytes.length >= 3 && bytes[0] == (byte) 0xEF && bytes[1] == (byte) 0xBB && bytes[2] == (byte) 0xBF))) {
            throw new PeftFormatException(file, null, "starts with a byte-order mark; expected UTF-8 without one");
        }
        for (int i = 0; i < Math.min(bytes.length, 4); i++) {
            if (bytes[i] == 0) {
                throw new PeftFormatException(file, null, "holds NUL bytes (UTF-16 or UTF-32?); expected UTF-8");
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new PeftFormatException(file, null, "is not valid UTF-8: " + e.getMessage(), e);
        }
    }

    /**
     * @param file the file
     * @param fields the object being read
     * @param cls the config class
     * @param e Jackson's error
     * @return a typed error naming the file, the key, what was expected and what was found
     */
    static PeftFormatException mismatch(Path file, JsonNode fields, Class<?> cls, IOException e) {
        String key = null;
        String expected = null;
        if (e instanceof JsonMappingException m && !m.getPath().isEmpty()) {
            key = m.getPath().get(0).getFieldName();
        }
        if (e instanceof com.fasterxml.jackson.databind.exc.MismatchedInputException mi && mi.getTargetType() != null) {
            expected = describe(mi.getTargetType());
        }
        JsonNode found = key == null ? null : fields.get(key);
        String problem = expected != null && found != null
                ? "expected " + expected + ", found " + found + " (" + found.getNodeType().name().toLowerCase(Locale.ROOT) + ")"
                : "does not fit " + cls.getSimpleName() + ": " + (e instanceof com.fasterxml.jackson.core.JsonProcessingException j
                        ? j.getOriginalMessage() : e.getMessage());
        return new PeftFormatException(file, key, problem, e);
    }

    private static String describe(Class<?> type) {
        if (type == boolean.class || type == Boolean.class) {
            return "a boolean (true or false)";
        }
        if (type == int.class || type == Integer.class || type == long.class || type == Long.class) {
            return "an integer";
        }
        if (type == double.class || type == Double.class || type == float.class || type == Float.class
                || type == Number.class) {
            return "a number";
        }
        if (type == String.class) {
            return "a string";
        }
        return "a " + type.getSimpleName();
    }
}
