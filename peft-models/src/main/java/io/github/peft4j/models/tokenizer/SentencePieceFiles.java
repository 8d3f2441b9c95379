package io.github.peft4j.models.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.peft4j.core.io.PythonJson;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A SentencePiece {@code tokenizer.model} (Llama 2, Mistral 7B v0.1, Gemma) turned into the
 * {@code tokenizer.json} that transformers' {@code convert_slow_tokenizer} writes for it
 * ({@code LlamaConverter} / {@code GemmaConverter} semantics):
 * <ul>
 *   <li>model: BPE with merges generated from the piece scores ({@code generate_merges}), or Unigram
 *       with the scores when {@code trainer_spec.model_type} is UNIGRAM; {@code byte_fallback} from the
 *       trainer spec, the unknown piece from {@code unk_id};</li>
 *   <li>normalizer (legacy, the default): {@code ▁} prepended when {@code add_prefix_space}
 *       ({@code tokenizer_config.json}, else {@code normalizer_spec.add_dummy_prefix}), spaces replaced by
 *       {@code ▁}; with {@code "legacy": false}, a Metaspace pre-tokenizer that prepends to the first
 *       word only; {@code remove_extra_whitespaces} strips and collapses spaces first;</li>
 *   <li>decoder: {@code ▁} to space, byte fallback, fuse, and the prefix space stripped;</li>
 *   <li>added tokens: unknown and control pieces (special) and user-defined pieces, then
 *       {@code added_tokens_decoder}; post-processor: {@code add_bos_token} (default true) and
 *       {@code add_eos_token} (default false).</li>
 * </ul>
 */
final class SentencePieceFiles {

    private static final String SPACE = "\u2581";
    // GemmaConverter: these user-defined pieces are special tokens
    private static final Set<String> GEMMA_SPECIALS = Set.of("<start_of_turn>", "<end_of_turn>");

    private SentencePieceFiles() {}

    /** @return whether the directory has a {@code tokenizer.model} */
    static boolean presentIn(Path dir) {
        return Files.isRegularFile(dir.resolve(SentencePieceModel.FILE_NAME));
    }

    /**
     * @param dir a directory with {@code tokenizer.model}
     * @param tokenizerConfig its {@code tokenizer_config.json}, or {@code null}
     * @return the equivalent {@code tokenizer.json} tree
     */
    static ObjectNode tokenizerJson(Path dir, JsonNode tokenizerConfig) {
        SentencePieceModel spm = SentencePieceModel.read(dir.resolve(SentencePieceModel.FILE_NAME));
        JsonNode cfg = tokenizerConfig == null ? PythonJson.mapper().createObjectNode() : tokenizerConfig;
        boolean gemma = cfg.path("tokenizer_class").asText("").startsWith("Gemma");
        boolean prefixSpace = cfg.path("add_prefix_space").asBoolean(spm.addDummyPrefix());
        boolean legacy = cfg.path("legacy").asBoolean(true);

        ObjectNode root = PythonJson.mapper().createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        root.set("added_tokens", addedTokens(spm, dir, tokenizerConfig, gemma));
        root.set("normalizer", normalizer(spm, prefixSpace, legacy));
        if (legacy) {
            root.putNull("pre_tokenizer");
        } else {
            ObjectNode meta = root.putObject("pre_tokenizer");
            meta.put("type", "Metaspace").put("replacement", SPACE)
                    .put("prepend_scheme", prefixSpace ? "first" : "never").put("split", false);
        }
        root.set("post_processor", postProcessor(spm, cfg));
        root.set("decoder", decoder(prefixSpace));
        root.set("model", spm.modelType() == SentencePieceModel.UNIGRAM ? unigram(spm, gemma) : bpe(spm, gemma));
        return root;
    }

    /** The vocabulary as the converters list it: every piece with its score (Gemma: {@code <0x09>} as a tab). */
    private static List<String> words(SentencePieceModel spm, boolean gemma) {
        List<String> words = new ArrayList<>();
        for (SentencePieceModel.Piece p : spm.pieces()) {
            words.add(gemma && p.piece().equals("<0x09>") ? "\t" : p.piece());
        }
        return words;
    }

    private static ObjectNode unigram(SentencePieceModel spm, boolean gemma) {
        ObjectNode model = PythonJson.mapper().createObjectNode();
        model.put("type", "Unigram");
        model.put("unk_id", spm.unkId());
        ArrayNode vocab = model.putArray("vocab");
        List<String> words = words(spm, gemma);
        for (int i = 0; i < words.size(); i++) {
            vocab.addArray().add(words.get(i)).add((double) spm.pieces().get(i).score());
        }
        model.put("byte_fallback", spm.byteFallback());
        return model;
    }

    private static ObjectNode bpe(SentencePieceModel spm, boolean gemma) {
        ObjectNode model = PythonJson.mapper().createObjectNode();
        model.put("type", "BPE");
        model.putNull("dropout");
        model.put("unk_token", spm.pieces().get(spm.unkId()).piece());
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", true);
        model.put("byte_fallback", spm.byteFallback());
        model.put("ignore_merges", false);
        List<String> words = words(spm, gemma);
        ObjectNode vocab = model.putObject("vocab");
        for (int i = 0; i < words.size(); i++) {
            vocab.put(words.get(i), i);
        }
        ArrayNode merges = model.putArray("merges");
        for (String[] m : merges(spm, words)) {
            merges.addArray().add(m[0]).add(m[1]);
        }
        return model;
    }

    /**
     * transformers' {@code generate_merges}: every split of a piece into two pieces of the model is a
     * merge with the piece's score; merges are ordered by score, then by the length of the left and
     * the right part, all descending (ties keep vocabulary order, splits of one piece by their ids).
     */
    static List<String[]> merges(SentencePieceModel spm, List<String> words) {
        Map<String, Integer> ids = new HashMap<>();
        for (int i = 0; i < spm.pieces().size(); i++) {
            ids.putIfAbsent(spm.pieces().get(i).piece(), i);
        }
        Map<String, Float> scores = new LinkedHashMap<>();
        for (int i = 0; i < words.size(); i++) {
            scores.put(words.get(i), spm.pieces().get(i).score());
        }
        record Merge(String left, String right, float score) {}
        List<Merge> all = new ArrayList<>();
        for (Map.Entry<String, Float> e : scores.entrySet()) {
            String word = e.getKey();
            List<Merge> local = new ArrayList<>();
            int chars = word.codePointCount(0, word.length());
            for (int index = 1; index < chars; index++) {
                int cut = word.offsetByCodePoints(0, index);
                String left = word.substring(0, cut);
                String right = word.substring(cut);
                if (ids.containsKey(left) && ids.containsKey(right)) {
                    local.add(new Merge(left, right, e.getValue()));
                }
            }
            local.sort(Comparator.comparingInt((Merge m) -> ids.get(m.left())).thenComparingInt(m -> ids.get(m.right())));
            all.addAll(local);
        }
        // Python's sorted(..., reverse=True) is stable: equal keys keep their order
        all.sort(Comparator.comparingDouble((Merge m) -> m.score())
                .thenComparingInt(m -> m.left().codePointCount(0, m.left().length()))
                .thenComparingInt(m -> m.right().codePointCount(0, m.right().length())).reversed());
        return all.stream().map(m -> new String[] {m.left(), m.right()}).toList();
    }

    private static JsonNode normalizer(SentencePieceModel spm, boolean prefixSpace, boolean legacy) {
        List<ObjectNode> steps = new ArrayList<>();
        if (spm.precompiledCharsmap().length > 0) {
            ObjectNode p = PythonJson.mapper().createObjectNode();
            p.put("type", "Precompiled");
            p.put("precompiled_charsmap", Base64.getEncoder().encodeToString(spm.precompiledCharsmap()));
            steps.add(p);
        }
        if (spm.removeExtraWhitespaces()) {
            ObjectNode strip = PythonJson.mapper().createObjectNode();
            strip.put("type", "Strip").put("strip_left", true).put("strip_right", true);
            steps.add(strip);
            steps.add(replace("Regex", " {2,}", " "));
        }
        if (legacy) {
            if (prefixSpace) {
                ObjectNode prepend = PythonJson.mapper().createObjectNode();
                prepend.put("type", "Prepend").put("prepend", SPACE);
                steps.add(prepend);
            }
            steps.add(replace("String", " ", SPACE));
        }
        if (steps.isEmpty()) {
            return PythonJson.mapper().nullNode();
        }
        if (steps.size() == 1) {
            return steps.get(0);
        }
        ObjectNode seq = PythonJson.mapper().createObjectNode();
        seq.put("type", "Sequence");
        steps.forEach(seq.putArray("normalizers")::add);
        return seq;
    }

    private static ObjectNode decoder(boolean prefixSpace) {
        ObjectNode seq = PythonJson.mapper().createObjectNode();
        seq.put("type", "Sequence");
        ArrayNode steps = seq.putArray("decoders");
        steps.add(replace("String", SPACE, " "));
        steps.addObject().put("type", "ByteFallback");
        steps.addObject().put("type", "Fuse");
        if (prefixSpace) {
            steps.addObject().put("type", "Strip").put("content", " ").put("start", 1).put("stop", 0);
        }
        return seq;
    }

    private static ObjectNode replace(String kind, String pattern, String content) {
        ObjectNode r = PythonJson.mapper().createObjectNode();
        r.put("type", "Replace");
        r.putObject("pattern").put(kind, pattern);
        r.put("content", content);
        return r;
    }

    /** LlamaTokenizerFast's template: {@code <s>} in front when add_bos_token, {@code </s>} after when add_eos_token. */
    private static JsonNode postProcessor(SentencePieceModel spm, JsonNode cfg) {
        String bos = spm.bosId() < 0 ? null : tokenText(cfg, "bos_token", spm.pieces().get(spm.bosId()).piece());
        String eos = spm.eosId() < 0 ? null : tokenText(cfg, "eos_token", spm.pieces().get(spm.eosId()).piece());
        bos = bos != null && cfg.path("add_bos_token").asBoolean(true) ? bos : null;
        eos = eos != null && cfg.path("add_eos_token").asBoolean(false) ? eos : null;
        if (bos == null && eos == null) {
            return PythonJson.mapper().nullNode();
        }
        ObjectNode t = PythonJson.mapper().createObjectNode();
        t.put("type", "TemplateProcessing");
        ArrayNode single = t.putArray("single");
        ArrayNode pair = t.putArray("pair");
        sequence(single, bos, eos, "A", 0);
        sequence(pair, bos, eos, "A", 0);
        sequence(pair, bos, eos, "B", 1);
        ObjectNode specials = t.putObject("special_tokens");
        if (bos != null) {
            specials.set(bos, specialEntry(bos, spm.bosId()));
        }
        if (eos != null) {
            specials.set(eos, specialEntry(eos, spm.eosId()));
        }
        return t;
    }

    /** {@code [bos] $X [eos]} with the given type id; {@code null} tokens are left out. */
    private static void sequence(ArrayNode out, String bos, String eos, String sequence, int typeId) {
        if (bos != null) {
            out.addObject().putObject("SpecialToken").put("id", bos).put("type_id", typeId);
        }
        out.addObject().putObject("Sequence").put("id", sequence).put("type_id", typeId);
        if (eos != null) {
            out.addObject().putObject("SpecialToken").put("id", eos).put("type_id", typeId);
        }
    }

    private static ObjectNode specialEntry(String token, int id) {
        ObjectNode e = PythonJson.mapper().createObjectNode();
        e.put("id", token);
        e.putArray("ids").add(id);
        e.putArray("tokens").add(token);
        return e;
    }

    private static String tokenText(JsonNode cfg, String key, String fallback) {
        JsonNode v = cfg.get(key);
        if (v == null || v.isNull()) {
            return fallback;
        }
        return v.isTextual() ? v.textValue() : v.path("content").asText(fallback);
    }

    /** Unknown and control pieces (special), user-defined pieces, then what the config declares. */
    private static ArrayNode addedTokens(SentencePieceModel spm, Path dir, JsonNode tokenizerConfig, boolean gemma) {
        Map<Integer, ObjectNode> byId = new HashMap<>();
        List<SentencePieceModel.Piece> pieces = spm.pieces();
        for (int id = 0; id < pieces.size(); id++) {
            SentencePieceModel.Piece p = pieces.get(id);
            int type = p.type();
            if (type == SentencePieceModel.UNKNOWN || type == SentencePieceModel.CONTROL
                    || type == SentencePieceModel.USER_DEFINED) {
                boolean special = type != SentencePieceModel.USER_DEFINED || gemma && GEMMA_SPECIALS.contains(p.piece());
                byId.put(id, AddedTokens.token(id, p.piece(), special, false));
            }
        }
        byId.putAll(AddedTokens.declared(dir, tokenizerConfig));
        return AddedTokens.array(byId);
    }
}
