package io.github.peft4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.models.tokenizer.HfTokenizer;
import io.github.peft4j.train.data.TextTokenizer;
import io.github.peft4j.train.testing.Corpus;
import io.github.peft4j.train.testing.Fixtures;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A long run must not leave NDArrays behind: each step, evaluation and checkpoint cleans up after itself. */
class MemoryTest {

    @TempDir
    Path tmp;

    private static int liveArrays() {
        try (NDManager probe = NDManager.newBaseManager()) {
            return probe.getParentManager().getManagedArrays().size();
        }
    }

    @Test
    void threeHundredStepsLeaveTheNumberOfLiveArraysFlat() {
        List<int[]> samples = new ArrayList<>();
        try (NDManager m = NDManager.newBaseManager();
                HfTokenizer hf = Fixtures.tinyTokenizer();
                PeftModel model = Fixtures.tinyPeftModel(m, 0.1, 1)) {
            TextTokenizer tok = TextTokenizer.of(hf);
            TrainingArguments args = TrainingArguments.builder(tmp).learningRate(1e-2).maxSteps(300)
                    .perDeviceTrainBatchSize(2).gradientAccumulationSteps(2).evalSteps(50).saveSteps(100)
                    .saveTotalLimit(1).logSteps(10).build();
            int before = liveArrays();
            TrainResult r = PeftTrainer.builder().model(model).args(args).trainDataset(Corpus.dataset(tok))
                    .evalDataset(Corpus.evalDataset(tok))
                    .callback(new TrainerCallback() {
                        @Override
                        public void onStepEnd(TrainerState s, TrainerControl c) {
                            if (s.globalStep() == 20 || s.globalStep() % 50 == 0) {
                                samples.add(new int[] {s.globalStep(), liveArrays()});
                            }
                        }
                    })
                    .build().train();
            assertEquals(300, r.globalStep());
            int reference = samples.get(0)[1];
            for (int[] s : samples) {
                assertEquals(reference, s[1], "live arrays at step " + s[0] + " vs step 20: " + samplesText(samples));
            }
            // the trainer's own manager (optimizer state) is released at the end
            assertEquals(before, liveArrays(), "after training");
            assertTrue(r.finalLoss() < r.stepLosses().get(0));
        }
    }

    private static String samplesText(List<int[]> samples) {
        StringBuilder sb = new StringBuilder();
        for (int[] s : samples) {
            sb.append(s[0]).append(':').append(s[1]).append(' ');
        }
        return sb.toString();
    }
}
