package io.github.peft4j.assets.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import io.github.peft4j.assets.TestAssets;
import io.github.peft4j.assets.corpus.CorpusFiles;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The committed tokenizer against Hugging Face's Rust library (through DJL), offline. */
class HuggingFaceCompatibilityTest {

    private static final Map<String, String> LM_OPTIONS =
            Map.of("addSpecialTokens", "false", "padding", "false", "truncation", "false");

    static final List<String> SENTENCES = List.of(
            "Where is my order NW-482913? I ordered it on 3 March.",
            "Die Rücksendung ist innerhalb von 30 Tagen kostenlos. Größe M passt mir nicht.",
            "¿Puedo cambiar la talla? El envío a España tarda 6–10 días hábiles. Mañana.",
            "Great jacket \uD83D\uDE00\uD83D\uDC4D\uD83C\uDFFD — thanks!",
            "  leading spaces, trailing spaces   ",
            "tabs\tand\nnew lines\r\n\n\nand a no-break\u00A0space",
            "we'll see; it's 100% ok, isn't it? 'quoted' \"double\"",
            "日本語のテキスト, русский текст, ελληνικά, עברית",
            "$27.1 billion (31 December 2014 est.) ++ 3,714 km",
            "x");

    private static HuggingFaceTokenizer hf;
    private static BpeTokenizer ours;

    private static Path tokenizerJson() {
        return TestAssets.dir().resolve("base-model").resolve(TokenizerJson.TOKENIZER_FILE);
    }

    @BeforeAll
    static void load() throws Exception {
        hf = HuggingFaceTokenizer.newInstance(tokenizerJson(), LM_OPTIONS);
        ours = BpeTokenizer.load(tokenizerJson());
    }

    @AfterAll
    static void close() {
        hf.close();
    }

    private static int[] hfIds(String text) {
        Encoding e = hf.encode(text);
        return Arrays.stream(e.getIds()).mapToInt(Math::toIntExact).toArray();
    }

    @Test
    void roundTripsExactly() {
        for (String s : SENTENCES) {
            long[] ids = hf.encode(s).getIds();
            assertEquals(s, hf.decode(ids, false), s);
            assertEquals(s, ours.decode(hfIds(s)), s);
        }
    }

    @Test
    void specialTokensEncodeToTheirIds() {
        assertArrayEquals(new int[] {0}, hfIds("<|endoftext|>"));
        assertArrayEquals(new int[] {1}, hfIds("<|user|>"));
        assertArrayEquals(new int[] {2}, hfIds("<|assistant|>"));
        assertArrayEquals(new int[] {3}, hfIds("<|system|>"));
        String chat = "<|user|>\nWhat is your return policy?<|endoftext|>\n<|assistant|>\n";
        int[] ids = hfIds(chat);
        assertEquals(1, ids[0]);
        assertEquals(2, ids[ids.length - 2]);
        assertTrue(Arrays.stream(ids).filter(i -> i == 0).count() == 1);
        assertArrayEquals(ours.encode(chat), ids);
        assertEquals(chat, hf.decode(Arrays.stream(ids).asLongStream().toArray(), false));
        // Skipping special tokens leaves the text between them.
        assertEquals("\nWhat is your return policy?\n\n",
                hf.decode(Arrays.stream(ids).asLongStream().toArray(), true));
    }

    @Test
    void javaEncoderGivesTheSameIdsAsTheRustLibrary() {
        List<String> texts = new ArrayList<>(SENTENCES);
        texts.addAll(CorpusFiles.readLines(TestAssets.dir().resolve("corpus/general-eval.txt")));
        for (String text : texts) {
            assertArrayEquals(hfIds(text), ours.encode(text), text);
        }
        assertTrue(texts.size() > 300);
    }

    @Test
    void theTokenizerCompresses() {
        // A trained vocabulary, not bytes: English prose takes well under one token per 3 bytes.
        long bytes = 0;
        long tokens = 0;
        for (String line : CorpusFiles.readLines(TestAssets.dir().resolve("corpus/general-eval.txt"))) {
            bytes += line.getBytes(StandardCharsets.UTF_8).length;
            tokens += hfIds(line).length;
        }
        assertTrue(tokens * 3 < bytes, tokens + " tokens for " + bytes + " bytes");
    }

    @Test
    void aHandTrainedTokenizerLoadsWithHandComputedIds(@TempDir Path dir) throws Exception {
        BpeModel model = new BpeTrainer(4 + 256 + 3, 1, BpeTrainer.SPECIAL_TOKENS).train(List.of("ab ab abc"));
        TokenizerJson.write(model, dir, 64);
        try (HuggingFaceTokenizer t = HuggingFaceTokenizer.newInstance(dir, LM_OPTIONS)) {
            // merges: (a b) -> 260, (Ġ ab) -> 261, (Ġab c) -> 262
            assertArrayEquals(new long[] {260, 4 + 'c', 261, 262, 0}, t.encode("abc ab abc<|endoftext|>").getIds());
            assertArrayEquals(new String[] {"ab", "c", "Ġab", "Ġabc", "<|endoftext|>"},
                    t.encode("abc ab abc<|endoftext|>").getTokens());
        }
        // And with the configuration file as DJL reads it (pad token, no clean-up of spaces on decode).
        try (HuggingFaceTokenizer t = HuggingFaceTokenizer.newInstance(dir,
                dir.resolve(TokenizerJson.CONFIG_FILE).toString(), LM_OPTIONS)) {
            assertEquals("ab , ab !", t.decode(t.encode("ab , ab !").getIds(), false));
        }
    }
}
