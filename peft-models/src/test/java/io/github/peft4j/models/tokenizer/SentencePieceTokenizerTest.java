package io.github.peft4j.models.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.CodedOutputStream;
import io.github.peft4j.core.PeftFormatException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A SentencePiece {@code tokenizer.model}, written here as a serialized {@code ModelProto}, loads as
 * transformers' slow-to-fast conversion makes it tokenize: ids below are worked out by hand from the
 * pieces and scores.
 */
class SentencePieceTokenizerTest {

    static final String S = "\u2581";

    /** One piece: text, score, type (1 normal, 2 unknown, 3 control, 4 user-defined, 6 byte). */
    record P(String piece, float score, int type) {}

    /** Llama-style layout: unk, bos, eos, the 256 byte pieces, then the pieces given (ids from 259). */
    static List<P> llamaPieces(P... normal) {
        List<P> pieces = new ArrayList<>(List.of(new P("<unk>", 0, 2), new P("<s>", 0, 3), new P("</s>", 0, 3)));
        for (int b = 0; b < 256; b++) {
            pieces.add(new P(String.format("<0x%02X>", b), 0, 6));
        }
        pieces.addAll(Arrays.asList(normal));
        return pieces;
    }

    // ids 259.. : merges come from splits into two pieces, ranked by the score of the whole piece
    static final List<P> BPE_PIECES = llamaPieces(
            new P(S + "t", -1, 1), new P("he", -2, 1), new P(S + "the", -3, 1), new P("or", -4, 1),   // 259-262
            new P(S + "w", -5, 1), new P(S + "wor", -6, 1), new P("ld", -7, 1),                       // 263-265
            new P(S, -8, 1), new P("t", -9, 1), new P("h", -10, 1), new P("e", -11, 1), new P("w", -12, 1), // 266-270
            new P("o", -13, 1), new P("r", -14, 1), new P("l", -15, 1), new P("d", -16, 1),           // 271-274
            new P("wo", -3.5f, 1));                                                                    // 275

    static byte[] modelProto(List<P> pieces, int modelType, boolean byteFallback, boolean addDummyPrefix,
            boolean removeExtraWhitespaces) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        for (P p : pieces) {
            ByteArrayOutputStream one = new ByteArrayOutputStream();
            CodedOutputStream po = CodedOutputStream.newInstance(one);
            po.writeString(1, p.piece());
            po.writeFloat(2, p.score());
            po.writeEnum(3, p.type());
            po.flush();
            out.writeByteArray(1, one.toByteArray());
        }
        ByteArrayOutputStream trainer = new ByteArrayOutputStream();
        CodedOutputStream t = CodedOutputStream.newInstance(trainer);
        t.writeString(2, "tiny");          // model_prefix: a field the reader skips
        t.writeEnum(3, modelType);
        t.writeInt32(4, pieces.size());
        t.writeBool(35, byteFallback);
        t.writeInt32(40, 0);
        t.writeInt32(41, 1);
        t.writeInt32(42, 2);
        t.writeInt32(43, -1);
        t.flush();
        out.writeByteArray(2, trainer.toByteArray());
        ByteArrayOutputStream normalizer = new ByteArrayOutputStream();
        CodedOutputStream n = CodedOutputStream.newInstance(normalizer);
        n.writeString(1, "identity");
        n.writeBool(3, addDummyPrefix);
        n.writeBool(4, removeExtraWhitespaces);
        n.flush();
        out.writeByteArray(3, normalizer.toByteArray());
        out.flush();
        return bytes.toByteArray();
    }

    static Path llamaDir(Path dir) throws IOException {
        Files.write(dir.resolve("tokenizer.model"), modelProto(BPE_PIECES, 2, true, true, false));
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"add_bos_token\": true, \"add_eos_token\": false,"
                + " \"bos_token\": \"<s>\", \"eos_token\": \"</s>\", \"unk_token\": \"<unk>\", \"pad_token\": null,"
                + " \"tokenizer_class\": \"LlamaTokenizer\", \"added_tokens_decoder\": {"
                + "\"0\": {\"content\": \"<unk>\", \"lstrip\": false, \"normalized\": false, \"rstrip\": false,"
                + " \"single_word\": false, \"special\": true},"
                + "\"1\": {\"content\": \"<s>\", \"lstrip\": false, \"normalized\": false, \"rstrip\": false,"
                + " \"single_word\": false, \"special\": true},"
                + "\"2\": {\"content\": \"</s>\", \"lstrip\": false, \"normalized\": false, \"rstrip\": false,"
                + " \"single_word\": false, \"special\": true}}}", StandardCharsets.UTF_8);
        return dir;
    }

    @Test
    void bpeMergesByScoreWithThePrefixAndByteFallback(@TempDir Path tmp) throws IOException {
        try (HfTokenizer tok = HfTokenizer.load(llamaDir(tmp), null)) {
            // "▁the▁world": ▁ t → ▁t, h e → he, ▁t he → ▁the, then w o (-3.5) before o r (-4): ▁ wo r, l d → ld
            assertArrayEquals(new long[] {261, 266, 275, 272, 265}, tok.encode("the world"));
            assertEquals(List.of(S + "the", S, "wo", "r", "ld"), tok.tokens("the world"));
            assertArrayEquals(new long[] {261}, tok.encode("the"));
            // é is no piece: its UTF-8 bytes C3 A9 as <0xC3> (3 + 0xC3) and <0xA9> (3 + 0xA9)
            assertArrayEquals(new long[] {261, 266, 3 + 0xC3, 3 + 0xA9}, tok.encode("the é"));
            assertEquals("the é", tok.decode(tok.encode("the é")));
            assertEquals("the world", tok.decode(tok.encode("the world")));
            // the post-processor puts <s> in front; a special token in the text stays whole
            assertArrayEquals(new long[] {1, 261, 266, 275, 272, 265}, tok.encode("the world", true));
            assertArrayEquals(new long[] {1, 261, 2}, tok.encode("<s>the</s>"));
            assertEquals("the", tok.decode(new long[] {1, 261, 2}, true));
            assertEquals(1, tok.bosTokenId().orElseThrow());
            assertEquals(2, tok.eosTokenId().orElseThrow());
            assertTrue(tok.padTokenId().isEmpty());
            assertEquals(276, tok.vocabSize().orElseThrow());
        }
    }

    @Test
    void nonLegacyPrefixesOnlyTheStartOfTheText(@TempDir Path tmp) throws IOException {
        llamaDir(tmp);
        String config = Files.readString(tmp.resolve("tokenizer_config.json"));
        Files.writeString(tmp.resolve("tokenizer_config.json"), config.replace("{\"add_bos_token\"",
                "{\"legacy\": false, \"add_bos_token\""));
        try (HfTokenizer tok = HfTokenizer.load(tmp, null)) {
            assertArrayEquals(new long[] {261, 266, 275, 272, 265}, tok.encode("the world"));
            // legacy prepends ▁ after the special token too ({1, 261}); non-legacy does not: t he
            assertArrayEquals(new long[] {1, 267, 260}, tok.encode("<s>the"));
            assertEquals("the world", tok.decode(tok.encode("the world")));
        }
    }

    @Test
    void withoutTokenizerConfigTheModelsOwnIdsAndPrefixRuleApply(@TempDir Path tmp) throws IOException {
        // no dummy prefix (as Gemma): no ▁ in front, so "the" is t h e → t he
        Files.write(tmp.resolve("tokenizer.model"), modelProto(BPE_PIECES, 2, true, false, false));
        assertTrue(HfTokenizer.presentIn(tmp));
        try (HfTokenizer tok = HfTokenizer.load(tmp, null)) {
            assertArrayEquals(new long[] {267, 260}, tok.encode("the"));
            assertArrayEquals(new long[] {267, 260, 266, 275, 272, 265}, tok.encode("the world"));
            assertEquals("the world", tok.decode(tok.encode("the world")));
            assertEquals(1, tok.specialTokenId("<s>").orElseThrow());
            assertEquals(0, tok.specialTokenId("<unk>").orElseThrow());
        }
    }

    @Test
    void unigramPicksTheBestScoringSegmentation(@TempDir Path tmp) throws IOException {
        List<P> pieces = List.of(new P("<unk>", 0, 2), new P("<s>", 0, 3), new P("</s>", 0, 3),
                new P(S, -2, 1), new P("a", -3, 1), new P("b", -3, 1), new P(S + "ab", -5, 1), // 3-6
                new P(S + "a", -2.5f, 1), new P("ab", -2.6f, 1));                                // 7-8
        Files.write(tmp.resolve("tokenizer.model"), modelProto(pieces, 1, false, true, true));
        try (HfTokenizer tok = HfTokenizer.load(tmp, null)) {
            // ▁ab: [▁ab] -5, [▁a, b] -5.5, [▁, ab] -4.6 (best), [▁, a, b] -8
            assertArrayEquals(new long[] {3, 8}, tok.encode("ab"));
            // remove_extra_whitespaces: "  ab   ab " is "ab ab"; c is no piece and no byte fallback: <unk>
            assertArrayEquals(new long[] {3, 8, 3, 8}, tok.encode("  ab   ab "));
            assertArrayEquals(new long[] {3, 8, 0}, tok.encode("abc"));
            assertEquals("ab ab", tok.decode(tok.encode("ab ab")));
            assertEquals(9, tok.vocabSize().orElseThrow());
        }
    }

    @Test
    void tokenizerJsonWinsOverTokenizerModel(@TempDir Path tmp) throws IOException {
        llamaDir(tmp);
        Files.writeString(tmp.resolve("tokenizer.json"), "{\"version\": \"1.0\", \"truncation\": null, \"padding\": null,"
                + " \"added_tokens\": [], \"normalizer\": null, \"pre_tokenizer\": {\"type\": \"Whitespace\"},"
                + " \"post_processor\": null, \"decoder\": null, \"model\": {\"type\": \"WordLevel\","
                + " \"vocab\": {\"[UNK]\": 0, \"the\": 7, \"world\": 9}, \"unk_token\": \"[UNK]\"}}");
        try (HfTokenizer tok = HfTokenizer.load(tmp, null)) {
            assertArrayEquals(new long[] {7, 9}, tok.encode("the world"));
        }
    }

    @Test
    void damagedOrUnsupportedModelsAreTypedErrorsNamingTheFile(@TempDir Path tmp) throws IOException {
        Path file = tmp.resolve("tokenizer.model");
        byte[] good = modelProto(BPE_PIECES, 2, true, true, false);
        Files.write(file, Arrays.copyOf(good, good.length / 2));
        PeftFormatException truncated = assertThrows(PeftFormatException.class, () -> HfTokenizer.load(tmp, null));
        assertTrue(truncated.getMessage().contains("tokenizer.model"), truncated.getMessage());

        Files.write(file, "not a protobuf at all, just text".getBytes(StandardCharsets.UTF_8));
        PeftFormatException text = assertThrows(PeftFormatException.class, () -> HfTokenizer.load(tmp, null));
        assertTrue(text.getMessage().contains("tokenizer.model") && text.getMessage().contains("SentencePiece"),
                text.getMessage());

        Files.write(file, new byte[0]);
        PeftFormatException empty = assertThrows(PeftFormatException.class, () -> HfTokenizer.load(tmp, null));
        assertTrue(empty.getMessage().contains("no pieces"), empty.getMessage());

        Files.write(file, modelProto(BPE_PIECES, 4, true, true, false));
        PeftFormatException chars = assertThrows(PeftFormatException.class, () -> HfTokenizer.load(tmp, null));
        assertTrue(chars.getMessage().contains("model type 4"), chars.getMessage());
    }

    @Test
    void mergesFollowTransformersOrder() {
        SentencePieceModel spm = new SentencePieceModel(
                BPE_PIECES.stream().map(p -> new SentencePieceModel.Piece(p.piece(), p.score(), p.type())).toList(),
                2, true, 0, 1, 2, -1, true, false, new byte[0]);
        List<String> words = spm.pieces().stream().map(SentencePieceModel.Piece::piece).toList();
        List<String> merges = SentencePieceFiles.merges(spm, words).stream().map(m -> m[0] + " " + m[1]).toList();
        assertEquals(List.of(S + " t", "h e", S + "t he", "w o", "o r", S + " w", S + "w or", "l d"), merges);
    }
}
