package io.github.peft4j.core.io;

import io.github.peft4j.core.files.AtomicFiles;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.deser.DeserializationProblemHandler;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.core.PeftConfig;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.PeftFormatException;
import io.github.peft4j.core.PeftMethods;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads and writes {@code adapter_config.json} as Hugging Face PEFT does: the {@code peft_type}
 * picks the config class through {@link PeftMethods}; keys this version does not know are dropped
 * with a warning (forward compatibility); files are written with sorted keys and indent 2, and
 * {@code inference_mode} set to {@code true}.
 *
 * <pre>{@code
 * PeftConfig config = AdapterConfigJson.read(dir.resolve("adapter_config.json"));
 * AdapterConfigJson.write(out.resolve("adapter_config.json"), config);
 * }</pre>
 */
public final class AdapterConfigJson {

    private static final Logger LOG = LoggerFactory.getLogger(AdapterConfigJson.class);

    /** The file name of an adapter's config. */
    public static final String FILE_NAME = "adapter_config.json";

    /** PEFT metadata that configs without the field may skip silently (PEFT >= 0.18 writes it everywhere). */
    private static final List<String> QUIET = List.of("peft_version");

    /** PEFT keys that are never meaningful to read back. */
    private static final List<String> IGNORED = List.of("runtime_config");

    private AdapterConfigJson() {}

    /**
     * @param file an {@code adapter_config.json}
     * @return the config, of the class its {@code peft_type} names, validated
     * @throws PeftFormatException naming the file and key if it does not parse or does not fit
     */
    public static PeftConfig read(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new PeftFormatException(file, null, "no such file");
        } catch (IOException e) {
            throw new PeftFormatException(file, null, "cannot read: " + e, e);
        }
        JsonNode tree;
        try {
            tree = StrictJson.READER.readTree(StrictJson.utf8(file, bytes));
        } catch (IOException e) {
            throw new PeftFormatException(file, null, "not valid JSON: "
                    + (e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()), e);
        }
        return fromTree(tree, file);
    }

    /**
     * @param json the text of an {@code adapter_config.json}
     * @return the config
     */
    public static PeftConfig parse(String json) {
        try {
            return fromTree(StrictJson.READER.readTree(json), null);
        } catch (JsonProcessingException e) {
            throw new PeftFormatException(null, null, "not valid JSON: " + e.getOriginalMessage(), e);
        }
    }

    private static PeftConfig fromTree(JsonNode tree, Path file) {
        if (tree == null || !tree.isObject()) {
            throw new PeftFormatException(file, null, "expected a JSON object");
        }
        JsonNode type = tree.get("peft_type");
        if (type == null || !type.isTextual()) {
            throw new PeftFormatException(file, "peft_type", "missing or not a string; it names the PEFT method");
        }
        Class<? extends PeftConfig> cls;
        try {
            cls = PeftMethods.forType(type.asText()).configClass();
        } catch (PeftCompatibilityException e) {
            throw new PeftCompatibilityException(where(file) + ": " + e.getMessage(), e);
        }
        ObjectNode fields = ((ObjectNode) tree).deepCopy();
        fields.remove("peft_type");
        for (String ignored : IGNORED) {
            if (fields.remove(ignored) != null) {
                LOG.warn("{}: ignoring '{}' (never read back, as in PEFT)", where(file), ignored);
            }
        }
        List<String> unknown = new ArrayList<>();
        ObjectReader reader = StrictJson.MAPPER
                .readerFor(cls)
                .with(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .withHandler(new DeserializationProblemHandler() {
                    @Override
                    public boolean handleUnknownProperty(DeserializationContext ctxt, JsonParser p,
                            JsonDeserializer<?> deserializer, Object beanOrClass, String propertyName)
                            throws IOException {
                        if (!QUIET.contains(propertyName)) {
                            unknown.add(propertyName);
                        }
                        p.skipChildren();
                        return true;
                    }
                });
        PeftConfig config;
        try {
            config = reader.readValue(fields);
        } catch (IOException e) {
            throw StrictJson.mismatch(file, fields, cls, e);
        }
        if (!unknown.isEmpty()) {
            LOG.warn("{}: ignoring keys this version of peft4j does not know: {}", where(file), unknown);
        }
        try {
            config.validate();
        } catch (PeftConfigException e) {
            throw new PeftFormatException(file, null, e.getMessage(), e);
        }
        return config;
    }

    /**
     * @param config a config
     * @return its JSON text as PEFT writes it (sorted keys, indent 2)
     */
    public static String toJson(PeftConfig config) {
        return PythonJson.write(PythonJson.mapper().valueToTree(config));
    }

    /**
     * Writes a config atomically, with {@code inference_mode} true as PEFT saves it.
     *
     * @param file the target file
     * @param config the config
     */
    public static void write(Path file, PeftConfig config) {
        AtomicFiles.write(file, toJson(config.withInferenceMode(true)).getBytes(StandardCharsets.UTF_8));
    }

    private static String where(Path file) {
        return file == null ? "adapter config" : file.toString();
    }
}
