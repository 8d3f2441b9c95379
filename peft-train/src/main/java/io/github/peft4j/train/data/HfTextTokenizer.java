package io.github.peft4j.train.data;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.peft4j.core.PeftFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalInt;

/**
 * A {@link TextTokenizer} over a Hugging Face {@code tokenizer.json}, through DJL's
 * {@code HuggingFaceTokenizer} with its 512-token truncation and padding turned off. Special
 * tokens (EOS, BOS, PAD) are found as {@code transformers} finds them: {@code tokenizer_config.json},
 * then {@code special_tokens_map.json}, looked up among the {@code added_tokens} of
 * {@code tokenizer.json}.
 *
 * <pre>{@code
 * try (HfTextTokenizer tok = HfTextTokenizer.load(Path.of("models/gpt2"))) {
 *     int[] ids = tok.encode("Hello world");          // [15496, 995]
 *     tok.eosTokenId();                               // OptionalInt[50256]
 * }
 * }</pre>
 */
public final class HfTextTokenizer implements TextTokenizer, AutoCloseable {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Map<String, String> OPTIONS = Map.of(
            "addSpecialTokens", "false",
            "padding", "false",
            "truncation", "false");

    private final HuggingFaceTokenizer tokenizer;
    private final OptionalInt eos;
    private final OptionalInt bos;
    private final OptionalInt pad;
    private final OptionalInt vocabSize;

    private HfTextTokenizer(HuggingFaceTokenizer tokenizer, OptionalInt eos, OptionalInt bos, OptionalInt pad,
            OptionalInt vocabSize) {
        this.tokenizer = tokenizer;
        this.eos = eos;
        this.bos = bos;
        this.pad = pad;
        this.vocabSize = vocabSize;
    }

    /**
     * @param path a model directory holding {@code tokenizer.json}, or the file itself
     * @return the tokenizer
     * @throws PeftFormatException naming the file if it is missing or does not parse
     */
    public static HfTextTokenizer load(Path path) {
        boolean isFile = Files.isRegularFile(path) || path.getFileName().toString().endsWith(".json");
        Path file = isFile ? path : path.resolve("tokenizer.json");
        Path dir = file.toAbsolutePath().getParent();
        if (!Files.isRegularFile(file)) {
            throw new PeftFormatException(file, null, "missing: a Hugging Face tokenizer.json is needed"
                    + " (convert a slow tokenizer once with transformers: AutoTokenizer.from_pretrained(...)"
                    + ".save_pretrained(dir))");
        }
        JsonNode json = readJson(file);
        Map<String, Integer> added = new HashMap<>();
        for (JsonNode t : json.path("added_tokens")) {
            added.put(t.path("content").asText(), t.path("id").asInt());
        }
        JsonNode config = readOptional(dir.resolve("tokenizer_config.json"));
        JsonNode specialMap = readOptional(dir.resolve("special_tokens_map.json"));
        HuggingFaceTokenizer tokenizer;
        try {
            tokenizer = HuggingFaceTokenizer.newInstance(file, OPTIONS);
        } catch (IOException | RuntimeException e) {
            throw new PeftFormatException(file, null, "cannot load tokenizer: " + e.getMessage(), e);
        }
        return new HfTextTokenizer(tokenizer,
                special(tokenizer, "eos_token", config, specialMap, added),
                special(tokenizer, "bos_token", config, specialMap, added),
                special(tokenizer, "pad_token", config, specialMap, added),
                vocabSize(json, added));
    }

    /**
     * @param tokenizer a DJL tokenizer; it must not add special tokens, truncate or pad
     * @param eos the EOS id, if any
     * @param bos the BOS id, if any
     * @param pad the PAD id, if any
     * @return the adapter, which closes {@code tokenizer} when closed
     */
    public static HfTextTokenizer of(HuggingFaceTokenizer tokenizer, OptionalInt eos, OptionalInt bos, OptionalInt pad) {
        return new HfTextTokenizer(tokenizer, eos, bos, pad, OptionalInt.empty());
    }

    private static OptionalInt special(HuggingFaceTokenizer tokenizer, String key, JsonNode config,
            JsonNode specialMap, Map<String, Integer> added) {
        String token = tokenText(config.get(key));
        if (token == null) {
            token = tokenText(specialMap.get(key));
        }
        if (token == null) {
            return OptionalInt.empty();
        }
        Integer id = added.get(token);
        if (id != null) {
            return OptionalInt.of(id);
        }
        long[] ids = tokenizer.encode(token, false, false).getIds();
        return ids.length == 1 ? OptionalInt.of(Math.toIntExact(ids[0])) : OptionalInt.empty();
    }

    private static String tokenText(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (node.isTextual()) {
            return node.textValue();
        }
        JsonNode content = node.get("content");
        return content != null && content.isTextual() ? content.textValue() : null;
    }

    private static OptionalInt vocabSize(JsonNode json, Map<String, Integer> added) {
        JsonNode vocab = json.path("model").path("vocab");
        int max = -1;
        if (vocab.isObject()) {
            for (JsonNode id : vocab) {
                max = Math.max(max, id.asInt());
            }
        } else if (vocab.isArray()) {
            max = vocab.size() - 1;
        }
        for (int id : added.values()) {
            max = Math.max(max, id);
        }
        return max < 0 ? OptionalInt.empty() : OptionalInt.of(max + 1);
    }

    private static JsonNode readJson(Path file) {
        try {
            return MAPPER.readTree(file.toFile());
        } catch (IOException e) {
            throw new PeftFormatException(file, null, "not valid JSON: " + e.getMessage(), e);
        }
    }

    private static JsonNode readOptional(Path file) {
        return Files.isRegularFile(file) ? readJson(file) : MAPPER.createObjectNode();
    }

    @Override
    public int[] encode(String text) {
        Encoding encoding = tokenizer.encode(text, false, false);
        long[] ids = encoding.getIds();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = Math.toIntExact(ids[i]);
        }
        return out;
    }

    @Override
    public String decode(int[] ids) {
        long[] l = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            l[i] = ids[i];
        }
        return tokenizer.decode(l, true);
    }

    @Override
    public OptionalInt eosTokenId() {
        return eos;
    }

    @Override
    public OptionalInt bosTokenId() {
        return bos;
    }

    @Override
    public OptionalInt padTokenId() {
        return pad;
    }

    @Override
    public OptionalInt vocabSize() {
        return vocabSize;
    }

    /** @return the DJL tokenizer underneath */
    public HuggingFaceTokenizer unwrap() {
        return tokenizer;
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
