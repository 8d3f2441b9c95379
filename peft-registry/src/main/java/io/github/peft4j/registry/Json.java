package io.github.peft4j.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.NullNode;
import io.github.peft4j.core.PeftFormatException;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The registry's JSON: sorted keys so that stored documents and {@code --json} output are stable.
 *
 * <pre>{@code
 * JsonNode report = Json.read(Path.of("runs/latest/report.json"));
 * }</pre>
 */
public final class Json {

    static final ObjectMapper MAPPER = new ObjectMapper()
            .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true)
            .configure(com.fasterxml.jackson.databind.MapperFeature.SORT_PROPERTIES_ALPHABETICALLY, true);

    private Json() {}

    /**
     * @param file a JSON file
     * @return its tree
     * @throws PeftFormatException naming the file if it is missing or not JSON
     */
    public static JsonNode read(Path file) {
        try {
            return MAPPER.readTree(file.toFile());
        } catch (IOException e) {
            throw new PeftFormatException(file, null, "not a readable JSON file: " + e.getMessage(), e);
        }
    }

    static JsonNode parse(String text) {
        if (text == null) {
            return NullNode.getInstance();
        }
        try {
            return MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw new RegistryException("stored JSON does not parse: " + e.getOriginalMessage(), e);
        }
    }

    /**
     * @param value a tree or a value Jackson can write
     * @return compact JSON with sorted keys
     */
    public static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value instanceof JsonNode n ? MAPPER.treeToValue(n, Object.class) : value);
        } catch (JsonProcessingException e) {
            throw new RegistryException("cannot write JSON: " + e.getOriginalMessage(), e);
        }
    }

    /**
     * @param value a tree or a value Jackson can write
     * @return indented JSON with sorted keys
     */
    public static String pretty(Object value) {
        try {
            return MAPPER.writerWithDefaultPrettyPrinter()
                    .writeValueAsString(value instanceof JsonNode n ? MAPPER.treeToValue(n, Object.class) : value);
        } catch (JsonProcessingException e) {
            throw new RegistryException("cannot write JSON: " + e.getOriginalMessage(), e);
        }
    }
}
