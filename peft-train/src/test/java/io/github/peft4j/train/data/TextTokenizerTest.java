package io.github.peft4j.train.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.peft4j.core.PeftFormatException;
import io.github.peft4j.models.tokenizer.HfTokenizer;
import io.github.peft4j.train.testing.Fixtures;
import java.nio.file.Path;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/** The data pipeline's view of peft-models' {@code HfTokenizer}. */
class TextTokenizerTest {

    @Test
    void gpt2TokenizerGivesKnownIdsWithoutSpecialTokensOrTruncation() {
        try (HfTokenizer hf = HfTokenizer.load(Fixtures.fakeGpt2(), null)) {
            TextTokenizer tok = TextTokenizer.of(hf);
            // vocab.json of GPT-2: "Hello" = 15496, "Ġworld" = 995
            assertArrayEquals(new int[] {15496, 995}, tok.encode("Hello world"));
            assertEquals(OptionalInt.of(50256), tok.eosTokenId());
            assertEquals(OptionalInt.of(50256), tok.bosTokenId());
            assertEquals(OptionalInt.empty(), tok.padTokenId());
            assertEquals(OptionalInt.of(50257), tok.vocabSize());
            assertEquals("Hello world", tok.decode(new int[] {15496, 995}));
            String longText = "word ".repeat(700);
            assertTrue(tok.encode(longText).length >= 700, "no 512-token truncation");
            // added tokens are recognised inside text
            int[] withEos = tok.encode("Hello<|endoftext|>");
            assertEquals(50256, withEos[withEos.length - 1]);
        }
    }

    @Test
    void gpt2PromptCompletionIdsAndLabels() {
        try (HfTokenizer hf = HfTokenizer.load(Fixtures.fakeGpt2(), null)) {
            TextTokenizer tok = TextTokenizer.of(hf);
            // "Question" 24361, ":" 25, "Ġ4" 604, <|endoftext|> 50256 in GPT-2's vocab.json
            TokenizedExample e = Tokenization.builder(tok).build()
                    .tokenize(new DataRecord.PromptCompletion("Question:", " 4"));
            assertArrayEquals(new int[] {24361, 25, 604, 50256}, e.inputIds());
            assertArrayEquals(new int[] {-100, -100, 604, 50256}, e.labels());
            // no pad token: padding falls back to EOS, which is never trained at padded positions
            assertEquals(50256, Tokenization.builder(tok).build().padTokenId());
        }
    }

    @Test
    void tinyTokenizerReadsSpecialTokensFromItsConfig() {
        try (HfTokenizer hf = Fixtures.tinyTokenizer()) {
            TextTokenizer tok = TextTokenizer.of(hf);
            assertEquals(OptionalInt.of(1), tok.eosTokenId());
            assertEquals(OptionalInt.of(0), tok.padTokenId());
            assertEquals(OptionalInt.of(45), tok.vocabSize());
            assertArrayEquals(new int[] {5, 7, 9}, tok.encode("The cat SAT"));
        }
    }

    @Test
    void missingFileIsNamed() {
        PeftFormatException e = assertThrows(PeftFormatException.class,
                () -> HfTokenizer.load(Path.of("/nonexistent/model"), null));
        assertEquals(Path.of("/nonexistent/model/tokenizer.json"), e.file());
    }
}
