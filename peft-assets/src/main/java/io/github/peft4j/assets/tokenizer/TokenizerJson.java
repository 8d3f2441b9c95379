package io.github.peft4j.assets.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.peft4j.core.PeftFormatException;
import io.github.peft4j.core.files.AtomicFiles;
import io.github.peft4j.core.io.PythonJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes a byte-level BPE model as Hugging Face {@code tokenizers} files:
 * {@code tokenizer.json} (the Rust library's own format, as {@code Tokenizer.save} writes it: model
 * {@code BPE} with the vocabulary in id order and the merges as {@code "left right"} strings, which
 * every release of the library loads; {@code ByteLevel} pre-tokenizer, post-processor and decoder;
 * the special tokens as added tokens) and {@code tokenizer_config.json} (what {@code transformers}
 * and DJL read: special tokens, no automatic bos/eos, the chat template).
 *
 * <pre>{@code
 * TokenizerJson.write(model, Path.of("assets/base-model"), 512);
 * BpeModel again = TokenizerJson.read(Path.of("assets/base-model/tokenizer.json"));
 * }</pre>
 */
public final class TokenizerJson {

    /** File name of the tokenizer. */
    public static final String TOKENIZER_FILE = "tokenizer.json";
    /** File name of the tokenizer configuration. */
    public static final String CONFIG_FILE = "tokenizer_config.json";

    /**
     * The chat format of the bundled model, as a Jinja template for {@code transformers}:
     * {@code <|role|>\n<content><|endoftext|>\n} per message, then {@code <|assistant|>\n} when a
     * generation prompt is asked for.
     */
    public static final String CHAT_TEMPLATE = "{% for message in messages %}"
            + "{{ '<|' + message['role'] + '|>\\n' + message['content'] + '<|endoftext|>' + '\\n' }}"
            + "{% endfor %}"
            + "{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}";

    private static final ObjectMapper JSON = new ObjectMapper();

    private TokenizerJson() {
    }

    /**
     * Writes {@code tokenizer.json} and {@code tokenizer_config.json} into {@code dir}.
     *
     * @param model the model
     * @param dir the folder, created if needed
     * @param modelMaxLength the {@code model_max_length} of the configuration
     */
    public static void write(BpeModel model, Path dir, int modelMaxLength) {
        AtomicFiles.write(dir.resolve(TOKENIZER_FILE), tokenizerJson(model).getBytes(StandardCharsets.UTF_8));
        AtomicFiles.write(dir.resolve(CONFIG_FILE),
                (PythonJson.write(tokenizerConfig(model, modelMaxLength)) + "\n").getBytes(StandardCharsets.UTF_8));
    }

    /**
     * @param model the model
     * @return the text of {@code tokenizer.json}, laid out as serde_json's pretty printer does
     */
    public static String tokenizerJson(BpeModel model) {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (int i = 0; i < model.specialTokens().size(); i++) {
            added.add(addedToken(i, model.specialTokens().get(i)));
        }
        root.putNull("normalizer");
        root.set("pre_tokenizer", byteLevel(false, true));
        root.set("post_processor", byteLevel(true, false));
        root.set("decoder", byteLevel(true, true));
        ObjectNode bpe = root.putObject("model");
        bpe.put("type", "BPE");
        bpe.putNull("dropout");
        bpe.putNull("unk_token");
        bpe.putNull("continuing_subword_prefix");
        bpe.putNull("end_of_word_suffix");
        bpe.put("fuse_unk", false);
        bpe.put("byte_fallback", false);
        bpe.put("ignore_merges", false);
        ObjectNode vocab = bpe.putObject("vocab");
        for (int id = 0; id < model.vocabSize(); id++) {
            vocab.put(model.token(id), id);
        }
        ArrayNode merges = bpe.putArray("merges");
        for (String[] pair : model.mergeStrings()) {
            merges.add(pair[0] + " " + pair[1]);
        }
        try {
            // serde_json's pretty layout is Python's; the key order stays the tokenizers library's
            return JSON.writer(PythonJson.prettyPrinter()).writeValueAsString(root);
        } catch (IOException e) {
            throw new IllegalStateException("cannot serialise tokenizer.json", e);
        }
    }

    /**
     * @param model the model
     * @param modelMaxLength the longest input the model takes
     * @return the {@code tokenizer_config.json} tree
     */
    public static ObjectNode tokenizerConfig(BpeModel model, int modelMaxLength) {
        String eos = model.specialTokens().get(0);
        ObjectNode config = JSON.createObjectNode();
        config.put("add_bos_token", false);
        config.put("add_eos_token", false);
        config.put("add_prefix_space", false);
        ObjectNode decoder = config.putObject("added_tokens_decoder");
        for (int i = 0; i < model.specialTokens().size(); i++) {
            ObjectNode token = addedToken(i, model.specialTokens().get(i));
            token.remove("id");
            decoder.set(Integer.toString(i), token);
        }
        config.put("bos_token", eos);
        config.put("chat_template", CHAT_TEMPLATE);
        // DJL and transformers would otherwise glue punctuation to the previous word on decode.
        config.put("clean_up_tokenization_spaces", false);
        config.put("eos_token", eos);
        config.put("model_max_length", modelMaxLength);
        config.put("pad_token", eos);
        config.put("tokenizer_class", "PreTrainedTokenizerFast");
        config.put("unk_token", eos);
        return config;
    }

    /**
     * Reads a byte-level BPE {@code tokenizer.json} (the layout {@link #write} produces; merges as
     * {@code "a b"} strings or {@code ["a", "b"]} pairs).
     *
     * @param file the {@code tokenizer.json}
     * @return the model
     * @throws PeftFormatException naming the key if the file is not such a tokenizer
     */
    public static BpeModel read(Path file) {
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new PeftFormatException(file, null, "not valid JSON: " + e.getMessage(), e);
        }
        JsonNode model = root.path("model");
        expect(file, "model.type", model.path("type").asText(), "BPE");
        expect(file, "pre_tokenizer.type", root.path("pre_tokenizer").path("type").asText(), "ByteLevel");
        expect(file, "decoder.type", root.path("decoder").path("type").asText(), "ByteLevel");
        JsonNode vocabNode = model.path("vocab");
        if (!vocabNode.isObject()) {
            throw new PeftFormatException(file, "model.vocab", "expected an object token -> id");
        }
        String[] tokens = new String[vocabNode.size()];
        for (Map.Entry<String, JsonNode> e : vocabNode.properties()) {
            int id = e.getValue().asInt(-1);
            if (id < 0 || id >= tokens.length || tokens[id] != null) {
                throw new PeftFormatException(file, "model.vocab." + e.getKey(),
                        "expected ids 0.." + (tokens.length - 1) + " each used once but found " + e.getValue());
            }
            tokens[id] = e.getKey();
        }
        List<String> specials = new ArrayList<>();
        for (JsonNode t : root.path("added_tokens")) {
            if (t.path("special").asBoolean(false)) {
                int id = t.path("id").asInt(-1);
                if (id != specials.size() || id >= tokens.length || !tokens[id].equals(t.path("content").asText())) {
                    throw new PeftFormatException(file, "added_tokens", "expected special token "
                            + t.path("content") + " to have id " + specials.size() + " in the vocabulary");
                }
                specials.add(tokens[id]);
            }
        }
        Map<String, Integer> idOf = new HashMap<>();
        for (int i = 0; i < tokens.length; i++) {
            idOf.put(tokens[i], i);
        }
        List<BpeModel.Merge> merges = new ArrayList<>();
        int rank = 0;
        for (JsonNode m : model.path("merges")) {
            String[] pair = m.isArray() ? new String[] {m.path(0).asText(), m.path(1).asText()}
                    : m.asText().split(" ", 2);
            Integer left = pair.length == 2 ? idOf.get(pair[0]) : null;
            Integer right = pair.length == 2 ? idOf.get(pair[1]) : null;
            Integer result = pair.length == 2 ? idOf.get(pair[0] + pair[1]) : null;
            if (left == null || right == null || result == null) {
                throw new PeftFormatException(file, "model.merges[" + rank + "]", "expected two vocabulary tokens"
                        + " whose concatenation is in the vocabulary but found " + m + " (" + Arrays.toString(pair) + ")");
            }
            merges.add(new BpeModel.Merge(left, right, result));
            rank++;
        }
        return new BpeModel(List.of(tokens), specials, merges);
    }

    private static void expect(Path file, String key, String found, String expected) {
        if (!found.equals(expected)) {
            throw new PeftFormatException(file, key, "expected \"" + expected + "\" but found \"" + found + "\"");
        }
    }

    private static ObjectNode addedToken(int id, String content) {
        ObjectNode t = JSON.createObjectNode();
        t.put("id", id);
        t.put("content", content);
        t.put("single_word", false);
        t.put("lstrip", false);
        t.put("rstrip", false);
        t.put("normalized", false);
        t.put("special", true);
        return t;
    }

    private static ObjectNode byteLevel(boolean addPrefixSpace, boolean trimOffsets) {
        // add_prefix_space only matters in the pre-tokenizer; post-processor and decoder carry
        // GPT-2's values, which the library ignores there.
        ObjectNode n = JSON.createObjectNode();
        n.put("type", "ByteLevel");
        n.put("add_prefix_space", addPrefixSpace);
        n.put("trim_offsets", trimOffsets);
        n.put("use_regex", true);
        return n;
    }
}
