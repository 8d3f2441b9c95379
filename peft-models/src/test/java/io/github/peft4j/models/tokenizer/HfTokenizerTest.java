package io.github.peft4j.models.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.github.peft4j.core.PeftFormatException;
import io.github.peft4j.models.TestSupport;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class HfTokenizerTest {

    @Test
    void vocabularySizeCountsAddedTokens() {
        Path dir = TestSupport.fixture("fake_gpt2");
        // GPT-2: ids 0..50255 in vocab.json, <|endoftext|> = 50256 added
        try (HfTokenizer fromDir = HfTokenizer.load(dir, null);
                HfTokenizer fromFile = HfTokenizer.load(dir.resolve(HfTokenizer.FILE_NAME), null)) {
            assertEquals(Optional.of(50257), fromDir.vocabSize());
            assertEquals(Optional.of(50256), fromDir.eosTokenId());
            assertArrayEquals(fromDir.encode("Hello world"), fromFile.encode("Hello world"));
            assertArrayEquals(new long[] {15496, 995}, fromFile.encode("Hello world"));
        }
    }

    @Test
    void aMissingTokenizerNamesTheFileItLookedFor() {
        PeftFormatException e = assertThrows(PeftFormatException.class,
                () -> HfTokenizer.load(Path.of("/nonexistent/model"), null));
        assertEquals(Path.of("/nonexistent/model/tokenizer.json"), e.file());
        PeftFormatException f = assertThrows(PeftFormatException.class,
                () -> HfTokenizer.load(Path.of("/nonexistent/my-tokenizer.json"), null));
        assertEquals(Path.of("/nonexistent/my-tokenizer.json"), f.file());
    }
}
