package io.github.peft4j.models.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import io.github.peft4j.core.PeftFormatException;
import io.github.peft4j.core.io.PythonJson;
import io.github.peft4j.models.chat.ChatTemplates;
import io.github.peft4j.models.chat.JinjaChatTemplate;
import io.github.peft4j.models.config.ModelConfig;
import java.io.ByteArrayInputStream;
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
 * no padding. A directory without {@code tokenizer.json} but with the GPT-2 "slow" layout
 * ({@code vocab.json} + {@code merges.txt}) or a SentencePiece {@code tokenizer.model} (Llama 2,
 * Mistral 7B v0.1, Gemma) is converted in memory as transformers' {@code convert_slow_tokenizer}
 * converts it. The bos/eos/pad ids
 * come from {@code tokenizer_config.json} / {@code special_tokens_map.json}, else from
 * {@code config.json}; the chat templates of the directory travel with the tokenizer.
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
    private final Integer vocabSize;
    private final ChatTemplates chatTemplates;

    private HfTokenizer(HuggingFaceTokenizer tokenizer, Map<String, Integer> specialIds, Integer bos, Integer eos,
            Integer pad, Integer vocabSize, ChatTemplates chatTemplates) {
        this.tokenizer = tokenizer;
        this.specialIds = specialIds;
        this.bos = bos;
        this.eos = eos;
        this.pad = pad;
        this.vocabSize = vocabSize;
        this.chatTemplates = chatTemplates;
    }

    /**
     * @param dir a checkpoint directory holding {@code tokenizer.json}, {@code vocab.json} +
     *     {@code merges.txt} or {@code tokenizer.model}, in that order of preference (or the
     *     {@code tokenizer.json} file itself)
     * @param config the model's configuration, for token ids the tokenizer files do not name; may be {@code null}
     * @return the tokenizer; close it when done
     * @throws PeftFormatException when the files are missing or cannot be parsed
     */
    public static HfTokenizer load(Path dir, ModelConfig config) {
        boolean isFile = Files.isRegularFile(dir) || dir.getFileName().toString().endsWith(".json");
        Path file = isFile ? dir : dir.resolve(FILE_NAME);
        Path folder = file.toAbsolutePath().getParent();
        JsonNode tokenizerConfig = readOptional(folder.resolve("tokenizer_config.json"));
        JsonNode root;
        HuggingFaceTokenizer tokenizer;
        Map<String, String> options = Map.of("addSpecialTokens", "false", "padding", "false", "truncation", "false");
        try {
            if (Files.isRegularFile(file)) {
                root = readJson(file);
                tokenizer = HuggingFaceTokenizer.newInstance(file, options);
            } else if (!isFile && (SlowBpeFiles.presentIn(dir) || SentencePieceFiles.presentIn(dir))) {
                root = SlowBpeFiles.presentIn(dir) ? SlowBpeFiles.tokenizerJson(dir, tokenizerConfig)
                        : SentencePieceFiles.tokenizerJson(dir, tokenizerConfig);
                byte[] json = PythonJson.mapper().writeValueAsBytes(root);
                tokenizer = HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(json), options);
            } else {
                throw new PeftFormatException(file, null,
                        "no tokenizer.json, no vocab.json + merges.txt and no SentencePiece tokenizer.model");
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof PeftFormatException p) {
                throw p;
            }
            throw new PeftFormatException(file, null, "cannot load the tokenizer: " + e.getMessage(), e);
        }
        Map<String, Integer> addedTokens = addedTokens(root);
        JsonNode specialMap = readOptional(folder.resolve("special_tokens_map.json"));
        SpecialTokens specials = new SpecialTokens(tokenizer, tokenizerConfig, specialMap, addedTokens);
        Integer bos = specials.id("bos_token", config == null ? null : config.bosTokenId().orElse(null));
        Integer eos = specials.id("eos_token",
                config == null || config.eosTokenIds().isEmpty() ? null : config.eosTokenIds().get(0));
        Integer pad = specials.id("pad_token", config == null ? null : config.padTokenId().orElse(null));
        return new HfTokenizer(tokenizer, addedTokens, bos, eos, pad, vocabSize(root, addedTokens),
                ChatTemplates.load(folder));
    }

    /**
     * @param dir a checkpoint directory
     * @return whether it has a tokenizer {@link #load} reads: {@code tokenizer.json}, {@code vocab.json}
     *     + {@code merges.txt}, or {@code tokenizer.model}
     */
    public static boolean presentIn(Path dir) {
        return Files.isRegularFile(dir.resolve(FILE_NAME)) || SlowBpeFiles.presentIn(dir)
                || SentencePieceFiles.presentIn(dir);
    }

    /**
     * @return the chat templates of the tokenizer's directory ({@code chat_template} of
     *     {@code tokenizer_config.json}, {@code chat_template.jinja}), as transformers attaches them
     *     to its tokenizer
     */
    public ChatTemplates chatTemplates() {
        return chatTemplates;
    }

    /** @return the default chat template, if the tokenizer has one */
    public Optional<JinjaChatTemplate> chatTemplate() {
        return chatTemplates.defaultTemplate();
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

    /**
     * @return the number of ids: one more than the largest id of the vocabulary and the added
     *     tokens, if {@code tokenizer.json} lists them
     */
    public Optional<Integer> vocabSize() {
        return Optional.ofNullable(vocabSize);
    }

    /** @return DJL's tokenizer, for anything not wrapped here */
    public HuggingFaceTokenizer raw() {
        return tokenizer;
    }

    @Override
    public void close() {
        tokenizer.close();
    }

    private static Map<String, Integer> addedTokens(JsonNode root) {
        Map<String, Integer> out = new HashMap<>();
        for (JsonNode t : root.path("added_tokens")) {
            if (t.path("content").isTextual() && t.path("id").canConvertToInt()) {
                out.put(t.get("content").textValue(), t.get("id").intValue());
            }
        }
        return out;
    }

    private static Integer vocabSize(JsonNode root, Map<String, Integer> addedTokens) {
        JsonNode vocab = root.path("model").path("vocab");
        int max = -1;
        if (vocab.isObject()) {
            for (JsonNode id : vocab) {
                max = Math.max(max, id.asInt());
            }
        } else if (vocab.isArray()) {
            max = vocab.size() - 1; // Unigram: a list of [piece, score]
        }
        for (int id : addedTokens.values()) {
            max = Math.max(max, id);
        }
        return max < 0 ? null : max + 1;
    }

    private static JsonNode readOptional(Path file) {
        return Files.isRegularFile(file) ? readJson(file) : null;
    }

    private static JsonNode readJson(Path file) {
        try {
            return PythonJson.mapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new PeftFormatException(file, null, "not valid JSON: " + e.getMessage(), e);
        }
    }

    /** The special tokens the tokenizer files name, resolved to ids as transformers resolves them. */
    private record SpecialTokens(HuggingFaceTokenizer tokenizer, JsonNode tokenizerConfig, JsonNode specialMap,
            Map<String, Integer> addedTokens) {

        /**
         * @param key {@code bos_token}, {@code eos_token}, {@code pad_token}
         * @param fallback the model config's id, for a token the tokenizer files do not name
         * @return the id: an added token's, else the vocabulary's when the text is one token
         */
        Integer id(String key, Integer fallback) {
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
                long[] ids = tokenizer.encode(content, false, false).getIds();
                if (ids.length == 1) {
                    return Math.toIntExact(ids[0]);
                }
            }
            return fallback;
        }
    }
}
