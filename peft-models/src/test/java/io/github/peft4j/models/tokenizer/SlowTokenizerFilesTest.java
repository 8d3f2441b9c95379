package io.github.peft4j.models.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.peft4j.core.PeftFormatException;
import io.github.peft4j.models.TestSupport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GPT-2's slow layout (vocab.json + merges.txt) tokenizes exactly as its tokenizer.json. */
class SlowTokenizerFilesTest {

    static final List<String> TEXTS = List.of("Hello world", " leading space and  double  spaces\n\nnew lines",
            "héllo wörld, naïve café", "numbers 12345 and 3.14159", "<|endoftext|>Once upon a time<|endoftext|>",
            "emoji 🙂 and 中文", "tabs\tand trailing   ");

    @Test
    void gpt2SlowFilesGiveTheFastTokenizersIds(@TempDir Path tmp) throws IOException {
        Path real = TestSupport.fixture("fake_gpt2");
        for (String f : List.of("vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json")) {
            Files.copy(real.resolve(f), tmp.resolve(f));
        }
        assertTrue(HfTokenizer.presentIn(tmp));
        try (HfTokenizer fast = HfTokenizer.load(real, null); HfTokenizer slow = HfTokenizer.load(tmp, null)) {
            for (String text : TEXTS) {
                assertArrayEquals(fast.encode(text), slow.encode(text), text);
                assertEquals(text, slow.decode(slow.encode(text)));
            }
            assertArrayEquals(new long[] {15496, 995}, slow.encode("Hello world"));
            assertEquals(50256, slow.eosTokenId().orElseThrow());
            assertEquals(50256, slow.specialTokenId("<|endoftext|>").orElseThrow());
            assertEquals(50257, slow.vocabSize().orElseThrow());
        }
    }

    @Test
    void tinySlowTokenizerWithItsAddedTokens() {
        try (HfTokenizer tok = HfTokenizer.load(TestSupport.fixture("tiny_gpt2"), null)) {
            // merges.txt holds four merges: Ġl, Ġlo, Ġlow, er; everything else stays in single bytes
            assertArrayEquals(new long[] {14, 3, 5, 6, 10, 9, 3, 2, 15, 20}, tok.encode(" lowest newer<|endoftext|>"));
            assertEquals(20, tok.eosTokenId().orElseThrow());
            assertEquals(19, tok.specialTokenId("<unk>").orElseThrow());
            assertEquals(21, tok.vocabSize().orElseThrow());
        }
    }

    @Test
    void noTokenizerFilesNamesWhatWasLookedFor(@TempDir Path tmp) {
        PeftFormatException e = assertThrows(PeftFormatException.class, () -> HfTokenizer.load(tmp, null));
        assertTrue(e.getMessage().contains("vocab.json + merges.txt"), e.getMessage());
    }
}
