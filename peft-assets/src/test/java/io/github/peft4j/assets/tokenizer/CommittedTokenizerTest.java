package io.github.peft4j.assets.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.peft4j.assets.TestAssets;
import io.github.peft4j.assets.corpus.CorpusFiles;
import io.github.peft4j.core.io.PythonJson;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The committed tokenizer is what the trainer makes of the committed corpus, and quickly. */
class CommittedTokenizerTest {

    @Test
    void retrainingOnTheCorpusReproducesTheCommittedFiles() throws Exception {
        Path assets = TestAssets.dir();
        List<String> lines = CorpusFiles.readLines(assets.resolve("corpus/factbook.txt.gz"));
        long start = System.nanoTime();
        BpeModel model = new BpeTrainer(BpeTrainer.DEFAULT_VOCAB_SIZE, BpeTrainer.DEFAULT_MIN_FREQUENCY,
                BpeTrainer.SPECIAL_TOKENS).train(lines);
        double seconds = (System.nanoTime() - start) / 1e9;
        assertTrue(seconds < 60, "training took " + seconds + " s");
        assertEquals(4096, model.vocabSize());
        assertEquals(4096 - 4 - 256, model.merges().size());

        Path dir = assets.resolve("base-model");
        assertEquals(Files.readString(dir.resolve(TokenizerJson.TOKENIZER_FILE)), TokenizerJson.tokenizerJson(model));
        assertEquals(Files.readString(dir.resolve(TokenizerJson.CONFIG_FILE)),
                PythonJson.write(TokenizerJson.tokenizerConfig(model, BpeTrainer.DEFAULT_MODEL_MAX_LENGTH)) + "\n");
        // Frequent English words became single tokens.
        for (String word : List.of("Ġthe", "Ġand", "Ġpopulation", "Ġgovernment", "Ġcountry")) {
            assertTrue(model.id(word) >= 260, word);
        }
    }
}
