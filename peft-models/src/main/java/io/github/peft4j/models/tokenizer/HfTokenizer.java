package io.github.peft4j.models.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import io.github.peft4j.core.PeftFormatException;
import io.github.peft4j.core.io.PythonJson;
import io.github.peft4j.models.config.ModelConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A Hugging Face {@code tokenizer.json} through DJL's {@link HuggingFaceTokenizer}, set up for
 * language-model data: by default no special tokens, no truncation (DJL's default cuts at 512) and
 * no padding. The bos/eos/pad ids come from {@code tokenizer_config.json} /
 * {@code special_tokens_map.json}, else from {@code config.json}.
 *
 * <pre>{@code
 * try (HfTokenizer tok = HfTokenizer.load(Path.of("gpt2"), null)) {
 *     long[] ids = tok.encode("Hello world");          // [15496, 995]
 *     String text = tok.decode(ids);                   // "Hello world"
 *     long[] cls = tok.encode("hello", true);          // with [CLS] ... [SEP] for BERT
 * }
 * }</pre>
 */
public final class HfTokenizer implements AutoCloseable {

    /** The tokenizer file of a checkpoint directory. */
    public static final String FILE_NAME = "tokenizer.json";

    private final HuggingFaceTokenizer tokenizer;
    private final Map<String, Integer> specialIds;
    private final Integer bos;
    private final Integer eos;
    private final Integer pad;

    private HfTokenizer(HuggingFaceTokenizer tokenizer, Map<String, Integer> specialIds, Integer bos, Integer eos,
            Integer pad) {
        this.tokenizer = tokenizer;
        this.specialIds = specialIds;
        this.bos = bos;
        this.eos = eos;
        this.pad = pad;
    }

    /**
     * @param dir a checkpoint directory holding {@code tokenizer.json} (or the file itself)
     * @param config the model's configuration, for token ids the tokenizer files do not name; may be {@code null}
     * @return the tokenizer; close it when done
     * @throws PeftFormatException when the file is missing or cannot be parsed
     */
    public static HfTokenizer load(Path dir, ModelConfig config) {
        Path file = Files.isDirectory(dir) ? dir.resolve(FILE_NAME) : dir;
        Path folder = file.toAbsolutePath().getParent();
        if (!Files.isRegularFile(file)) {
            throw new PeftFormatException(file, null, "no tokenizer.json (peft4j reads the fast-tokenizer file only)");
        }
        Map<String, Integer> addedTokens = addedTokens(file);
        HuggingFaceTokenizer tokenizer;
        try {
            tokenizer = HuggingFaceTokenizer.newInstance(file, Map.of(
                    "addSpecialTokens", "false", "padding", "false", "truncation", "false"));
        } catch (IOException | RuntimeException e) {
            throw new PeftFormatException(file, null, "cannot load the tokenizer: " + e.getMessage(), e);
        }
        JsonNode tokenizerConfig = readOptional(folder.resolve("tokenizer_config.json"));
        JsonNode specialMap = readOptional(folder.resolve("special_tokens_map.json"));
        Integer bos = special("bos_token", tokenizerConfig, specialMap, addedTokens,
                config == null ? null : config.bosTokenId().orElse(null));
        Integer eos = special("eos_token", tokenizerConfig, specialMap, addedTokens,
                config == null || config.eosTokenIds().isEmpty() ? null : config.eosTokenIds().get(0));
        Integer pad = special("pad_token", tokenizerConfig, specialMap, addedTokens,
                config == null ? null : config.padTokenId().orElse(null));
        return new HfTokenizer(tokenizer, addedTokens, bos, eos, pad);
    }

    /**
     * Encodes text for language-model data: no special tokens, no truncation, no padding.
     *
     * @param text the text
     * @return the token ids
     */
    public long[] encode(String text) {
        return encode(text, false);
    }

    /**
     * @param text the text
     * @param addSpecialTokens whether to apply the tokenizer's post-processor ({@code [CLS] ... [SEP]})
     * @return the token ids, never truncated or padded
     */
    public long[] encode(String text, boolean addSpecialTokens) {
        return tokenizer.encode(text, addSpecialTokens, false).getIds();
    }

    /**
     * @param text the text
     * @param addSpecialTokens whether to add special tokens
     * @return DJL's full encoding (tokens, type ids, offsets)
     */
    public Encoding encoding(String text, boolean addSpecialTokens) {
        return tokenizer.encode(text, addSpecialTokens, false);
    }

    /**
     * @param ids token ids
     * @return the text, special tokens included (as transformers' {@code decode})
     */
    public String decode(long[] ids) {
        return tokenizer.decode(ids, false);
    }

    /**
     * @param ids token ids
     * @param skipSpecialTokens whether to drop special tokens
     * @return the text
     */
    public String decode(long[] ids, boolean skipSpecialTokens) {
        return tokenizer.decode(ids, skipSpecialTokens);
    }

    /**
     * @param text the text
     * @return its tokens as strings
     */
    public List<String> tokens(String text) {
        return List.of(encoding(text, false).getTokens());
    }

    /**
     * @param token an added/special token's text ({@code <|endoftext|>}, {@code [CLS]})
     * @return its id, if the tokenizer declares it
     */
    public Optional<Integer> specialTokenId(String token) {
        return Optional.ofNullable(specialIds.get(token));
    }

    /** @return the beginning-of-sequence id, if known */
    public Optional<Integer> bosTokenId() {
        return Optional.ofNullable(bos);
    }

    /** @return the end-of-sequence id, if known */
    public Optional<Integer> eosTokenId() {
        return Optional.ofNullable(eos);
    }

    /** @return the padding id, if the tokenizer has one (GPT-2 and Llama have none) */
    public Optional<Integer> padTokenId() {
        return Optional.ofNullable(pad);
    }

    /** @return DJL's tokenizer, for anything not wrapped here */
    public HuggingFaceTokenizer raw() {
        return tokenizer;
    }

    @Override
    public void close() {
        tokenizer.close();
    }

    private static Map<String, Integer> addedTokens(Path file) {
        Map<String, Integer> out = new HashMap<>();
        JsonNode root;
        try {
            root = PythonJson.mapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new PeftFormatException(file, null, "not valid JSON: " + e.getMessage(), e);
        }
        for (JsonNode t : root.path("added_tokens")) {
            if (t.path("content").isTextual() && t.path("id").canConvertToInt()) {
                out.put(t.get("content").textValue(), t.get("id").intValue());
            }
        }
        return out;
    }

    private static JsonNode readOptional(Path file) {
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            return PythonJson.mapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new PeftFormatException(file, null, "not valid JSON: " + e.getMessage(), e);
        }
    }

    /** A special token named in the tokenizer files, resolved to its id; else the config's id. */
    private static Integer special(String key, JsonNode tokenizerConfig, JsonNode specialMap,
            Map<String, Integer> addedTokens, Integer fallback) {
        for (JsonNode source : new JsonNode[] {tokenizerConfig, specialMap}) {
            if (source == null || !source.has(key)) {
                continue;
            }
            JsonNode value = source.get(key);
            String content = value.isTextual() ? value.textValue() : value.path("content").asText(null);
            if (content == null) {
                return null; // declared as null: the tokenizer has no such token
            }
            Integer id = addedTokens.get(content);
            if (id != null) {
                return id;
            }
        }
        return fallback;
    }
}
