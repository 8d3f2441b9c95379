package io.github.peft4j.train.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.peft4j.models.tokenizer.HfTokenizer;
import io.github.peft4j.train.curation.Curator;
import io.github.peft4j.train.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataPipelineTest {

    @TempDir
    Path tmp;

    @Test
    void jsonlToCuratedSplitPackedDatasets() throws IOException {
        Path f = tmp.resolve("train.jsonl");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 10; i++) {
            sb.append("{\"text\": \"the cat sat on the mat ").append("and the dog ran ".repeat(i % 3)).append("\"}\n");
        }
        sb.append("{\"text\": \"The  cat sat on the mat\"}\n"); // exact duplicate of line 1 once normalised
        sb.append("{\"prompt\": \"mail me at a@b.io\", \"completion\": \" yes\"}\n");
        sb.append("this line is broken\n");
        Files.writeString(f, sb.toString());
        try (HfTokenizer hf = Fixtures.tinyTokenizer()) {
            TextTokenizer tok = TextTokenizer.of(hf);
            DataPipeline.Prepared p = DataPipeline.builder(tok)
                    .curator(Curator.builder().exactDedup(true)
                            .anonymizer(io.github.peft4j.train.curation.PiiAnonymizer.defaults()).build())
                    .skipBadLines(true).evalFraction(0.25).seed(3).packing(16).build().prepare(f);
            assertEquals(12, p.curation().recordsIn());
            assertEquals(1, p.curation().skippedBadLines());
            // the ten text lines hold three texts (i % 3), and line 11 repeats the first: 8 removed
            assertEquals(8, p.curation().exactDuplicates());
            assertEquals(Map.of("EMAIL", 1), p.curation().piiReplacements());
            assertEquals(4, p.curation().recordsOut());
            assertTrue(p.train().examples().stream().allMatch(e -> e.length() <= 16));
            long tokens = p.train().tokenCount() + p.eval().tokenCount();
            assertTrue(tokens > 0);
            Batch b = p.train().batches(8).get(0);
            assertEquals(16, b.sequenceLength());
        }
    }
}
