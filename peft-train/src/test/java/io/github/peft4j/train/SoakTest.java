package io.github.peft4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.models.tokenizer.HfTokenizer;
import io.github.peft4j.train.data.TextTokenizer;
import io.github.peft4j.train.testing.Corpus;
import io.github.peft4j.train.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 24's soak: the tiny model trains 2,000 steps (10,000 with {@code -Pfuzz}) and the
 * process's resident memory grows by less than 2 % over the second half. Native memory that a
 * step fails to free shows here even when the count of live NDArrays ({@link MemoryTest}) is flat.
 */
class SoakTest {

    @TempDir
    Path tmp;

    /** @return this process's resident set in KiB, from {@code /proc/self/status} */
    private static long rssKib() {
        try {
            return Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("VmRSS:"))
                    .map(l -> Long.parseLong(l.replaceAll("\\D", ""))).findFirst().orElseThrow();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void residentMemoryGrowsLessThanTwoPercentOverTheSecondHalf() {
        int steps = Boolean.getBoolean("peft4j.fuzz") ? 10_000 : 2_000;
        long[] half = new long[1];
        try (NDManager m = NDManager.newBaseManager();
                HfTokenizer hf = Fixtures.tinyTokenizer();
                PeftModel model = Fixtures.tinyPeftModel(m, 0.1, 1)) {
            TrainingArguments args = TrainingArguments.builder(tmp).learningRate(1e-3).maxSteps(steps)
                    .perDeviceTrainBatchSize(2).saveSteps(steps).logSteps(100).build();
            TrainResult r = PeftTrainer.builder().model(model).args(args)
                    .trainDataset(Corpus.dataset(TextTokenizer.of(hf)))
                    .callback(new TrainerCallback() {
                        @Override
                        public void onStepEnd(TrainerState s, TrainerControl c) {
                            if (s.globalStep() == steps / 2) {
                                System.gc();
                                half[0] = rssKib();
                            }
                        }
                    })
                    .build().train();
            assertEquals(steps, r.globalStep());
            System.gc();
            long end = rssKib();
            double growth = (end - half[0]) / (double) half[0];
            System.out.printf("soak: %d steps, RSS %d KiB at the half, %d KiB at the end (%+.2f %%)%n", steps, half[0],
                    end, growth * 100);
            assertTrue(growth < 0.02, "RSS grew " + growth * 100 + " % over the second half");
        }
    }
}
