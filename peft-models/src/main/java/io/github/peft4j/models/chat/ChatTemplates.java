package io.github.peft4j.models.chat;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.peft4j.core.PeftFormatException;
import io.github.peft4j.core.io.PythonJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The chat templates of a checkpoint directory, found where transformers looks: the
 * {@code chat_template} of {@code tokenizer_config.json} (a string, or a list of
 * {@code {"name", "template"}} for named templates), a {@code chat_template.jinja} file (which wins
 * over the config's default) and {@code additional_chat_templates/<name>.jinja}. Each template
 * gets the tokenizer's special tokens ({@code bos_token}, {@code eos_token}, ...) from
 * {@code tokenizer_config.json}, else {@code special_tokens_map.json}.
 *
 * <pre>{@code
 * ChatTemplates templates = ChatTemplates.load(Path.of("Llama-3.2-1B-Instruct"));
 * JinjaChatTemplate chat = templates.defaultTemplate().orElseThrow();
 * Optional<JinjaChatTemplate> tools = templates.named("tool_use");
 * }</pre>
 */
public final class ChatTemplates {

    /** The template file transformers writes beside the tokenizer since 4.50. */
    public static final String JINJA_FILE = "chat_template.jinja";
    /** The folder of named template files. */
    public static final String NAMED_DIR = "additional_chat_templates";

    private static final List<String> SPECIAL_TOKEN_KEYS = List.of("bos_token", "eos_token", "unk_token",
            "pad_token", "sep_token", "cls_token", "mask_token");

    private final Map<String, JinjaChatTemplate> templates;

    private ChatTemplates(Map<String, JinjaChatTemplate> templates) {
        this.templates = templates;
    }

    /**
     * @param dir a checkpoint or tokenizer directory
     * @return its templates; none when the directory has none
     * @throws PeftFormatException naming the file and key when a template entry is malformed
     */
    public static ChatTemplates load(Path dir) {
        Path configFile = dir.resolve("tokenizer_config.json");
        JsonNode config = readJson(configFile);
        Map<String, String> specials = specialTokens(config, readJson(dir.resolve("special_tokens_map.json")));
        Map<String, String> sources = new LinkedHashMap<>();
        JsonNode entry = config == null ? null : config.get("chat_template");
        if (entry != null && entry.isTextual()) {
            sources.put("default", entry.textValue());
        } else if (entry != null && entry.isArray()) {
            for (JsonNode t : entry) {
                if (!t.path("name").isTextual() || !t.path("template").isTextual()) {
                    throw new PeftFormatException(configFile, "chat_template",
                            "a named template needs string fields 'name' and 'template', got " + t);
                }
                sources.put(t.get("name").textValue(), t.get("template").textValue());
            }
        } else if (entry != null && !entry.isNull()) {
            throw new PeftFormatException(configFile, "chat_template",
                    "expected a string or a list of {name, template}, got " + entry.getNodeType());
        }
        readNamedFiles(dir.resolve(NAMED_DIR), sources);
        Path jinja = dir.resolve(JINJA_FILE);
        if (Files.isRegularFile(jinja)) {
            sources.put("default", readText(jinja));
        }
        Map<String, JinjaChatTemplate> out = new LinkedHashMap<>();
        sources.forEach((name, source) -> out.put(name, JinjaChatTemplate.of(name, source).withSpecialTokens(specials)));
        return new ChatTemplates(out);
    }

    /** @return the template {@code apply_chat_template} uses without a name */
    public Optional<JinjaChatTemplate> defaultTemplate() {
        return named("default");
    }

    /**
     * @param name a template name
     * @return that template, if the directory has it
     */
    public Optional<JinjaChatTemplate> named(String name) {
        return Optional.ofNullable(templates.get(name));
    }

    /** @return the names of the templates found, {@code default} first when present */
    public Set<String> names() {
        return templates.keySet();
    }

    /** @return whether the directory had no template at all */
    public boolean isEmpty() {
        return templates.isEmpty();
    }

    private static void readNamedFiles(Path folder, Map<String, String> sources) {
        if (!Files.isDirectory(folder)) {
            return;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(folder, "*.jinja")) {
            for (Path f : files) {
                String file = f.getFileName().toString();
                sources.put(file.substring(0, file.length() - ".jinja".length()), readText(f));
            }
        } catch (IOException e) {
            throw new PeftFormatException(folder, null, "cannot list the chat templates: " + e.getMessage(), e);
        }
    }

    /** The special tokens as template variables: the config's, else the special-tokens map's. */
    private static Map<String, String> specialTokens(JsonNode config, JsonNode specialMap) {
        Map<String, String> out = new LinkedHashMap<>();
        for (JsonNode source : new JsonNode[] {specialMap, config}) {
            if (source == null) {
                continue;
            }
            for (String key : SPECIAL_TOKEN_KEYS) {
                JsonNode v = source.get(key);
                String content = v == null ? null : v.isTextual() ? v.textValue() : v.path("content").asText(null);
                if (content != null) {
                    out.put(key, content);
                }
            }
        }
        return out;
    }

    private static JsonNode readJson(Path file) {
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            return PythonJson.mapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new PeftFormatException(file, null, "not valid JSON: " + e.getMessage(), e);
        }
    }

    private static String readText(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new PeftFormatException(file, null, "cannot read the chat template: " + e.getMessage(), e);
        }
    }
}
