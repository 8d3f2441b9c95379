package io.github.peft4j.models.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.peft4j.core.PeftFormatException;
import io.github.peft4j.core.io.PythonJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The {@code added_tokens} of a converted {@code tokenizer.json}, as transformers' slow tokenizers
 * declare them: {@code added_tokens_decoder} of {@code tokenizer_config.json} (with its flags), then
 * {@code added_tokens.json} for ids the config does not name.
 */
final class AddedTokens {

    private static final List<String> FLAGS = List.of("single_word", "lstrip", "rstrip", "normalized", "special");

    private AddedTokens() {}

    /**
     * @param dir the tokenizer's directory
     * @param tokenizerConfig its {@code tokenizer_config.json}, or {@code null}
     * @return the declared added tokens by id, each an {@code added_tokens} entry
     */
    static Map<Integer, ObjectNode> declared(Path dir, JsonNode tokenizerConfig) {
        Map<Integer, ObjectNode> byId = new TreeMap<>();
        JsonNode decoder = tokenizerConfig == null ? null : tokenizerConfig.get("added_tokens_decoder");
        if (decoder != null) {
            decoder.fields().forEachRemaining(e -> {
                int id = Integer.parseInt(e.getKey());
                ObjectNode t = token(id, e.getValue().path("content").asText(), false, true);
                for (String flag : FLAGS) {
                    t.put(flag, e.getValue().path(flag).asBoolean(flag.equals("normalized")));
                }
                byId.put(id, t);
            });
        }
        Path extra = dir.resolve("added_tokens.json");
        if (Files.isRegularFile(extra)) {
            JsonNode file;
            try {
                file = PythonJson.mapper().readTree(extra.toFile());
            } catch (IOException e) {
                throw new PeftFormatException(extra, null, "not valid JSON: " + e.getMessage(), e);
            }
            file.fields().forEachRemaining(e -> byId.computeIfAbsent(e.getValue().asInt(),
                    id -> token(id, e.getKey(), false, true)));
        }
        return byId;
    }

    /**
     * @param id the token's id
     * @param content its text
     * @param special whether it is a special token (skipped by {@code decode(ids, true)})
     * @param normalized whether the normalizer runs on it before matching
     * @return an {@code added_tokens} entry
     */
    static ObjectNode token(int id, String content, boolean special, boolean normalized) {
        ObjectNode t = PythonJson.mapper().createObjectNode();
        t.put("id", id);
        t.put("content", content);
        t.put("single_word", false).put("lstrip", false).put("rstrip", false).put("normalized", normalized)
                .put("special", special);
        return t;
    }

    /** @return the entries in id order, as {@code tokenizer.json} lists them */
    static ArrayNode array(Map<Integer, ObjectNode> byId) {
        ArrayNode out = PythonJson.mapper().createArrayNode();
        new TreeMap<>(byId).values().forEach(out::add);
        return out;
    }
}
