package io.github.peft4j.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.train.data.DataPipeline;
import io.github.peft4j.train.data.DataRecord;
import io.github.peft4j.train.data.HfTextTokenizer;
import io.github.peft4j.train.testing.Fixtures;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerSmokeTest {

    @TempDir
    Path tmp;

    @Test
    void lossGoesDown() {
        try (NDManager manager = NDManager.newBaseManager();
                HfTextTokenizer tok = Fixtures.tinyTokenizer();
                PeftModel model = Fixtures.tinyPeftModel(manager, 0.0, 3)) {
            System.out.println(model.countParameters());
            List<DataRecord> records = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                records.add(new DataRecord.Text("the cat sat on the mat and the dog ran to the park"));
                records.add(new DataRecord.PromptCompletion("question : what color is the ball", " answer : red"));
            }
            DataPipeline.Prepared data = DataPipeline.builder(tok).build().prepare(records, 0);
            TrainingArguments args = TrainingArguments.builder(tmp).learningRate(1e-2).maxSteps(30)
                    .perDeviceTrainBatchSize(4).logSteps(5).saveSteps(0).build();
            TrainResult r = PeftTrainer.builder().model(model).args(args).trainDataset(data.train())
                    .progressListener(new ConsoleProgressBar(System.out)).build().train();
            System.out.println(r.stepLosses());
            assertTrue(r.finalLoss() < r.stepLosses().get(0) * 0.8);
        }
    }
}
