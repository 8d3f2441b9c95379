package io.github.peft4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.peft4j.core.PeftModel;
import io.github.peft4j.train.PeftTrainer;
import io.github.peft4j.train.TrainingArguments;
import io.github.peft4j.train.data.TokenizedDataset;
import io.github.peft4j.train.optim.DecayRule;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataParallelEquivalenceTest {

    private static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = SparkTestSupport.localSpark();
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    private static TrainingArguments.Builder args(Path out) {
        return TrainingArguments.builder(out).maxSteps(20).learningRate(1e-2).perDeviceTrainBatchSize(6)
                .gradientAccumulationSteps(2).maxGradNorm(1.0).warmupSteps(3).seed(7).shuffle(true).logSteps(5);
    }

    private static TensorSnapshot singleProcess(TrainingArguments args, TokenizedDataset data) {
        try (PeftModel model = SparkTestSupport.tinyLora()) {
            PeftTrainer.builder().model(model).args(args).trainDataset(data).build().train();
            return TensorSnapshot.of(TrainableTensors.of(model, DecayRule.defaults()));
        }
    }

    @Test
    void twoPartitionsEqualOneProcessAfterTwentySteps(@TempDir Path dir) {
        TokenizedDataset data = SparkTestSupport.tokens(30, 11);
        TrainingArguments single = args(dir.resolve("single")).build();
        TensorSnapshot expected = singleProcess(single, data);

        DataParallelResult r = DataParallelTrainer.builder().spark(spark).model(SparkTestSupport::tinyLora)
                .args(args(dir.resolve("dp")).saveSteps(10).build()).trainDataset(data, SparkTestSupport.PAD)
                .partitions(2).build().train();

        assertEquals(20, r.globalStep());
        assertEquals(20, r.steps().size());
        double diff = expected.maxAbsDiff(r.adapter());
        assertTrue(diff <= 1e-5, "max abs difference " + diff);
        try (PeftModel start = SparkTestSupport.tinyLora()) {
            double moved = TensorSnapshot.of(TrainableTensors.of(start, DecayRule.defaults())).maxAbsDiff(r.adapter());
            assertTrue(moved > 1e-2, "training moved the adapter by " + moved);
        }
        assertTrue(Files.isRegularFile(dir.resolve("dp/adapter_model.safetensors")));
        assertTrue(Files.isRegularFile(dir.resolve("dp/checkpoint-10/optimizer.safetensors")));
    }

    @Test
    void resumingFromACheckpointEndsWhereTheUninterruptedRunEnds(@TempDir Path dir) {
        TokenizedDataset data = SparkTestSupport.tokens(30, 12);
        TrainingArguments args = args(dir.resolve("dp")).maxSteps(8).saveSteps(4).build();
        DataParallelTrainer trainer = DataParallelTrainer.builder().spark(spark).model(SparkTestSupport::tinyLora)
                .args(args).trainDataset(data, SparkTestSupport.PAD).partitions(2).build();
        DataParallelResult whole = trainer.train();
        DataParallelResult resumed = trainer.resume(dir.resolve("dp/checkpoint-4"));
        assertEquals(8, resumed.globalStep());
        assertEquals(0.0, whole.adapter().maxAbsDiff(resumed.adapter()), 1e-7);
        assertEquals(4, resumed.steps().size());
    }
}
