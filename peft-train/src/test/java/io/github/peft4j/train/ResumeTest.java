package io.github.peft4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.models.tokenizer.HfTokenizer;
import io.github.peft4j.train.data.TextTokenizer;
import io.github.peft4j.train.data.TokenizedDataset;
import io.github.peft4j.train.optim.LrSchedule;
import io.github.peft4j.train.testing.Corpus;
import io.github.peft4j.train.testing.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A run that checkpoints ends with a checkpoint; a resume says what it does and refuses another schedule. */
class ResumeTest {

    static HfTokenizer tokenizer;
    static TokenizedDataset train;

    @TempDir
    Path tmp;

    @BeforeAll
    static void data() {
        tokenizer = Fixtures.tinyTokenizer();
        train = Corpus.dataset(TextTokenizer.of(tokenizer));
    }

    @AfterAll
    static void close() {
        tokenizer.close();
    }

    private TrainingArguments args(int steps) {
        // save_steps larger than the run: only the final checkpoint is written
        return TrainingArguments.builder(tmp).learningRate(5e-2).maxSteps(steps).perDeviceTrainBatchSize(4)
                .warmupSteps(1).lrSchedulerType(LrSchedule.Type.COSINE).saveSteps(10).logSteps(1).seed(7).build();
    }

    private PeftTrainer trainer(PeftModel model, TrainingArguments a) {
        return PeftTrainer.builder().model(model).args(a).trainDataset(train).build();
    }

    @Test
    void aShortRunEndsWithACheckpointThatResumesToTheSameAdapter() throws Exception {
        try (NDManager m = NDManager.newBaseManager(); PeftModel model = Fixtures.tinyPeftModel(m, 0.0, 3)) {
            assertEquals(5, trainer(model, args(5)).train().globalStep());
        }
        Path checkpoint = tmp.resolve("checkpoint-5");
        assertEquals(checkpoint, PeftTrainer.latestCheckpoint(tmp).orElseThrow());
        byte[] adapter = Files.readAllBytes(tmp.resolve("adapter_model.safetensors"));
        assertArrayEquals(adapter, Files.readAllBytes(checkpoint.resolve("adapter_model.safetensors")));

        try (NDManager m = NDManager.newBaseManager(); PeftModel fresh = Fixtures.tinyPeftModel(m, 0.0, 3, 42)) {
            PeftTrainer t = trainer(fresh, args(5));
            assertEquals("checkpoint-5 holds step 5 of 5: restores the trained weights, the adamw state, the data"
                    + " position (epoch 1, batch 2), the losses and evaluations so far; nothing is left to train;"
                    + " the adapter and outputs are written again from it", t.resumePlan(checkpoint));
            TrainResult r = t.resume(checkpoint);
            assertEquals(5, r.globalStep());
            assertEquals(5, r.stepLosses().size());
        }
        assertArrayEquals(adapter, Files.readAllBytes(tmp.resolve("adapter_model.safetensors")));
    }

    @Test
    void aResumeWithOtherStepsIsRefusedBeforeAnythingChanges() throws Exception {
        try (NDManager m = NDManager.newBaseManager(); PeftModel model = Fixtures.tinyPeftModel(m, 0.0, 3)) {
            trainer(model, args(5)).train();
        }
        byte[] adapter = Files.readAllBytes(tmp.resolve("adapter_model.safetensors"));
        Path checkpoint = tmp.resolve("checkpoint-5");
        try (NDManager m = NDManager.newBaseManager(); PeftModel model = Fixtures.tinyPeftModel(m, 0.0, 3)) {
            PeftTrainer longer = trainer(model, args(8));
            PeftConfigException e = assertThrows(PeftConfigException.class, () -> longer.resumePlan(checkpoint));
            assertTrue(e.getMessage().contains("schedule was cosine from 0.05 over 5 steps with 1 warmup, this run's is"
                    + " cosine from 0.05 over 8 steps with 1 warmup; resuming needs the same max_steps"), e.getMessage());
            assertThrows(PeftConfigException.class, () -> longer.resume(checkpoint));
        }
        assertArrayEquals(adapter, Files.readAllBytes(tmp.resolve("adapter_model.safetensors")));
    }
}
