package io.github.peft4j.models.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.PeftFormatException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Typed reads of {@code config.json} fields with Hugging Face's class defaults; a field of the wrong
 * type is an error naming the file and the key.
 */
final class JsonFields {

    private final ObjectNode node;
    private final Path file;

    JsonFields(ObjectNode node, Path file) {
        this.node = node;
        this.file = file;
    }

    /** @return {@code model_type} as text, whatever its JSON type (the config classes name it in errors) */
    String modelType() {
        return node.path("model_type").asText();
    }

    boolean has(String key) {
        JsonNode v = node.get(key);
        return v != null && !v.isNull();
    }

    /** @return whether the key is written at all, even as {@code null} */
    boolean present(String key) {
        return node.has(key);
    }

    Double doubleOrNull(String key) {
        return has(key) ? doubleValue(key, 0) : null;
    }

    /** @return a list of strings ({@code layer_types}), or {@code null} when absent */
    List<String> stringListOrNull(String key) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            return null;
        }
        List<String> out = new ArrayList<>();
        if (v.isArray()) {
            for (JsonNode e : v) {
                if (!e.isTextual()) {
                    throw wrongType(key, "a list of strings", v);
                }
                out.add(e.textValue());
            }
            return List.copyOf(out);
        }
        throw wrongType(key, "a list of strings", v);
    }

    /** @return a list of numbers (longrope's {@code short_factor}), or {@code null} when absent */
    List<Double> doubleListOrNull(String key) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            return null;
        }
        List<Double> out = new ArrayList<>();
        for (JsonNode e : v.isArray() ? v : List.<JsonNode>of()) {
            if (!e.isNumber()) {
                throw wrongType(key, "a list of numbers", v);
            }
            out.add(e.doubleValue());
        }
        if (!v.isArray()) {
            throw wrongType(key, "a list of numbers", v);
        }
        return List.copyOf(out);
    }

    int intValue(String key, int defaultValue) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            return defaultValue;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw wrongType(key, "an integer", v);
        }
        return v.intValue();
    }

    int requiredPositiveInt(String key, int defaultValue) {
        int value = intValue(key, defaultValue);
        if (value <= 0) {
            throw invalid(key, "expected a positive integer but found " + value);
        }
        return value;
    }

    Integer intOrNull(String key) {
        return has(key) ? intValue(key, 0) : null;
    }

    double doubleValue(String key, double defaultValue) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            return defaultValue;
        }
        if (!v.isNumber()) {
            throw wrongType(key, "a number", v);
        }
        return v.doubleValue();
    }

    boolean boolValue(String key, boolean defaultValue) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            return defaultValue;
        }
        if (!v.isBoolean()) {
            throw wrongType(key, "true or false", v);
        }
        return v.booleanValue();
    }

    String string(String key, String defaultValue) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            return defaultValue;
        }
        if (!v.isTextual()) {
            throw wrongType(key, "a string", v);
        }
        return v.textValue();
    }

    /** An int or a list of ints ({@code eos_token_id} is either). */
    List<Integer> intList(String key, List<Integer> defaultValue) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            return defaultValue;
        }
        if (v.isIntegralNumber()) {
            return List.of(v.intValue());
        }
        if (!v.isArray()) {
            throw wrongType(key, "an integer or a list of integers", v);
        }
        List<Integer> out = new ArrayList<>();
        for (JsonNode e : v) {
            if (!e.isIntegralNumber()) {
                throw wrongType(key, "an integer or a list of integers", v);
            }
            out.add(e.intValue());
        }
        return List.copyOf(out);
    }

    ObjectNode objectOrNull(String key) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isObject()) {
            throw wrongType(key, "an object", v);
        }
        return (ObjectNode) v;
    }

    /** A value that parses but is not allowed; from a file it names the file, in code it is a config error. */
    RuntimeException invalid(String key, String problem) {
        if (file == null) {
            return new PeftConfigException("'" + key + "': " + problem);
        }
        return new PeftFormatException(file, key, problem);
    }

    private RuntimeException wrongType(String key, String expected, JsonNode found) {
        return invalid(key, "expected " + expected + " but found " + found);
    }
}
