package io.github.peft4j.models.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.peft4j.core.PeftFormatException;
import io.github.peft4j.core.io.PythonJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The GPT-2 "slow" tokenizer layout ({@code vocab.json} + {@code merges.txt}, special tokens in
 * {@code tokenizer_config.json}) turned into the {@code tokenizer.json} that transformers'
 * {@code GPT2Converter} writes for it: byte-level BPE, byte-level pre-tokenizer, post-processor and
 * decoder, and the added tokens of {@code added_tokens_decoder} / {@code added_tokens.json}. DJL's
 * own vocab + merges constructor builds a BPE without the byte-level parts, which tokenizes
 * differently.
 */
final class SlowBpeFiles {

    static final String VOCAB = "vocab.json";
    static final String MERGES = "merges.txt";

    private SlowBpeFiles() {}

    /** @return whether the directory has the slow layout */
    static boolean presentIn(Path dir) {
        return Files.isRegularFile(dir.resolve(VOCAB)) && Files.isRegularFile(dir.resolve(MERGES));
    }

    /**
     * @param dir a directory with {@code vocab.json} and {@code merges.txt}
     * @param tokenizerConfig its {@code tokenizer_config.json}, or {@code null}
     * @return the equivalent {@code tokenizer.json} tree
     */
    static ObjectNode tokenizerJson(Path dir, JsonNode tokenizerConfig) {
        Path vocabFile = dir.resolve(VOCAB);
        JsonNode vocab = read(vocabFile);
        if (!vocab.isObject()) {
            throw new PeftFormatException(vocabFile, null, "expected an object of token -> id");
        }
        ObjectNode root = PythonJson.mapper().createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        root.set("added_tokens", AddedTokens.array(AddedTokens.declared(dir, tokenizerConfig)));
        root.putNull("normalizer");
        boolean prefixSpace = tokenizerConfig != null && tokenizerConfig.path("add_prefix_space").asBoolean(false);
        root.set("pre_tokenizer", byteLevel(prefixSpace, true));
        root.set("post_processor", byteLevel(true, false));
        root.set("decoder", byteLevel(true, true));
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.putNull("unk_token");
        model.put("continuing_subword_prefix", "");
        model.put("end_of_word_suffix", "");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.set("vocab", vocab);
        ArrayNode merges = model.putArray("merges");
        for (String raw : lines(dir.resolve(MERGES))) {
            String line = raw.strip();
            if (!line.isEmpty() && !line.startsWith("#version")) {
                merges.add(line);
            }
        }
        return root;
    }

    private static ObjectNode byteLevel(boolean addPrefixSpace, boolean trimOffsets) {
        ObjectNode n = PythonJson.mapper().createObjectNode();
        n.put("type", "ByteLevel");
        n.put("add_prefix_space", addPrefixSpace);
        n.put("trim_offsets", trimOffsets);
        n.put("use_regex", true);
        return n;
    }

    private static JsonNode read(Path file) {
        try {
            return PythonJson.mapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new PeftFormatException(file, null, "not valid JSON: " + e.getMessage(), e);
        }
    }

    private static List<String> lines(Path file) {
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new PeftFormatException(file, null, "cannot read: " + e.getMessage(), e);
        }
    }
}
