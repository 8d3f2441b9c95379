package io.github.peft4j.models.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.peft4j.core.PeftFormatException;
import io.github.peft4j.core.io.PythonJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * Reads {@code config.json} into the config class of its {@code model_type}. A multimodal Gemma 3
 * ({@code gemma3}, {@code Gemma3ForConditionalGeneration}) reads as its text model, from
 * {@code text_config}.
 *
 * <pre>{@code
 * ModelConfig config = ModelConfigs.read(Path.of("gpt2/config.json"));
 * if (config instanceof Gpt2Config gpt2) { ... }
 * }</pre>
 */
public final class ModelConfigs {

    /** The file name of a model configuration in a checkpoint directory. */
    public static final String FILE_NAME = "config.json";

    /** The {@code model_type} values peft4j can build. */
    public static final List<String> SUPPORTED_MODEL_TYPES = List.of("bert", "gemma2", "gemma3", "gemma3_text", "gpt2",
            "llama", "mistral", "phi3", "qwen2", "qwen3");

    private ModelConfigs() {}

    /**
     * @param file a {@code config.json}, or the directory holding one
     * @return the typed configuration
     * @throws PeftFormatException when the file is missing or malformed, names an unsupported
     *     {@code model_type}, or holds a field of the wrong type or an impossible size
     */
    public static ModelConfig read(Path file) {
        Path path = Files.isDirectory(file) ? file.resolve(FILE_NAME) : file;
        JsonNode node;
        try {
            node = PythonJson.mapper().readTree(path.toFile());
        } catch (NoSuchFileException | java.io.FileNotFoundException e) {
            throw new PeftFormatException(path, null, "no config.json: a Hugging Face checkpoint directory needs one", e);
        } catch (IOException e) {
            throw new PeftFormatException(path, null, "not valid JSON: " + e.getMessage(), e);
        }
        if (node == null || !node.isObject()) {
            throw new PeftFormatException(path, null, "expected a JSON object");
        }
        return parse((ObjectNode) node, path);
    }

    /**
     * @param json a configuration tree
     * @param source the file it came from, for messages, or {@code null}
     * @return the typed configuration
     */
    public static ModelConfig parse(ObjectNode json, Path source) {
        JsonNode type = json.get("model_type");
        if (type == null || !type.isTextual()) {
            throw new PeftFormatException(source, "model_type",
                    "missing; expected one of " + SUPPORTED_MODEL_TYPES);
        }
        String t = type.textValue();
        if (LlamaConfig.MODEL_TYPES.contains(t)) {
            return new LlamaConfig(json, source);
        }
        switch (t) {
            case "gpt2":
                return new Gpt2Config(json, source);
            case "bert":
                return new BertConfig(json, source);
            case "gemma3":
                return LlamaConfig.gemma3Multimodal(json, source);
            default:
                throw new PeftFormatException(source, "model_type", "'" + t
                        + "' is not supported; peft4j builds " + SUPPORTED_MODEL_TYPES);
        }
    }
}
