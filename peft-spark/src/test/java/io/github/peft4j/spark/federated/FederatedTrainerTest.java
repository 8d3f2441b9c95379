package io.github.peft4j.spark.federated;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.peft4j.core.PeftModel;
import io.github.peft4j.spark.SparkTestSupport;
import io.github.peft4j.spark.TensorSnapshot;
import io.github.peft4j.train.PeftTrainer;
import io.github.peft4j.train.TrainingArguments;
import io.github.peft4j.train.data.TokenizedDataset;
import io.github.peft4j.train.optim.NamedParameter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FederatedTrainerTest {

    private static final double SCALING = 2.0; // lora_alpha 2r over r
    private static final AtomicInteger SITE_B_FAILURES_LEFT = new AtomicInteger();
    private static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = SparkTestSupport.localSpark();
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    static PeftModel model() {
        return SparkTestSupport.tinyLora(2, true);
    }

    static TokenizedDataset same(String site) {
        return SparkTestSupport.tokens(8, 5);
    }

    static TokenizedDataset different(String site) {
        return SparkTestSupport.tokens(8, site.hashCode());
    }

    static TokenizedDataset flaky(String site) {
        if (site.equals("b") && SITE_B_FAILURES_LEFT.getAndDecrement() > 0) {
            throw new IllegalStateException("site b's storage is down");
        }
        return different(site);
    }

    private static TrainingArguments local(Path out, int steps) {
        return TrainingArguments.builder(out).maxSteps(steps).learningRate(1e-2).perDeviceTrainBatchSize(4)
                .shuffle(false).logSteps(1).build();
    }

    private static FederatedTrainer.Builder federated(Path out, int steps, SiteData data) {
        return FederatedTrainer.builder().spark(spark).model(FederatedTrainerTest::model)
                .sites(List.of("a", "b"), data).localArgs(local(out, steps));
    }

    /** Centralised training on one site's data: its adapter's ΔW per module. */
    private static Map<String, double[][]> centralised(Path out, boolean freezeA) {
        try (PeftModel m = model()) {
            List<NamedParameter> tensors = SiteTask.tensors(m);
            if (freezeA) {
                tensors.stream().filter(p -> p.name().contains(".lora_A.")).forEach(p -> p.parameter().freeze(true));
            }
            PeftTrainer.builder().model(m).args(local(out, 1)).trainDataset(same("a")).build().train();
            return LoraFactors.deltas(TensorSnapshot.of(tensors), SCALING);
        }
    }

    private static double maxDiff(Map<String, double[][]> x, Map<String, double[][]> y) {
        double max = 0;
        for (String k : x.keySet()) {
            for (int i = 0; i < x.get(k).length; i++) {
                for (int j = 0; j < x.get(k)[i].length; j++) {
                    max = Math.max(max, Math.abs(x.get(k)[i][j] - y.get(k)[i][j]));
                }
            }
        }
        return max;
    }

    @Test
    void exactStrategiesEqualCentralisedTrainingOnIdenticalData(@TempDir Path dir) {
        Map<String, double[][]> central = centralised(dir.resolve("central"), false);
        Map<String, double[][]> centralFrozenA = centralised(dir.resolve("central-ffa"), true);
        for (AggregationStrategy s : List.of(new FfaLora(), new FloraStacking(), new SvdTruncation())) {
            Path out = dir.resolve(s.name());
            FederatedResult r = federated(out, 1, FederatedTrainerTest::same).strategy(s).build().train();
            Map<String, double[][]> expected = s.freezesA() ? centralFrozenA : central;
            double diff = maxDiff(expected, LoraFactors.deltas(r.global(), SCALING));
            assertTrue(diff <= 1e-5, s.name() + ": ΔW differs from centralised by " + diff);
            assertTrue(r.rounds().get(0).aggregationError() < 1e-6, s.name() + " " + r.rounds().get(0));
            assertTrue(Files.isRegularFile(out.resolve("global/adapter_model.safetensors")));
        }
    }

    @Test
    void fedAvgsErrorIsMeasuredWhereTheExactStrategiesHaveNone(@TempDir Path dir) {
        RoundMetrics fedAvg = federated(dir.resolve("fedavg"), 2, FederatedTrainerTest::different).build().train()
                .rounds().get(0);
        RoundMetrics flora = federated(dir.resolve("flora"), 2, FederatedTrainerTest::different)
                .strategy(new FloraStacking()).build().train().rounds().get(0);
        System.out.printf("FedAvg(A,B) relative ΔW error after 2 local steps on different data: %.3e;"
                + " FLoRA stacking: %.3e%n", fedAvg.aggregationError(), flora.aggregationError());
        assertTrue(fedAvg.aggregationError() > 1e-4, "FedAvg error " + fedAvg.aggregationError());
        assertTrue(flora.aggregationError() < 1e-6, "stacking error " + flora.aggregationError());
        assertTrue(Double.isNaN(fedAvg.epsilon()));
    }

    @Test
    void differentialPrivacyWithoutNoiseAddsNone(@TempDir Path dir) {
        TensorSnapshot plain = federated(dir.resolve("plain"), 1, FederatedTrainerTest::different).build().train()
                .global();
        FederatedResult noNoise = federated(dir.resolve("dp0"), 1, FederatedTrainerTest::different)
                .differentialPrivacy(new ClientDp(1e9, 0.0, 1e-5, 1)).build().train();
        assertEquals(0.0, plain.maxAbsDiff(noNoise.global()), 1e-6);
        FederatedResult noisy = federated(dir.resolve("dp1"), 1, FederatedTrainerTest::different)
                .differentialPrivacy(new ClientDp(1e9, 1.0, 1e-5, 1)).build().train();
        assertTrue(plain.maxAbsDiff(noisy.global()) > 0.1);
        assertEquals(RdpAccountant.epsilon(1.0, 1, 1e-5), noisy.rounds().get(0).epsilon(), 1e-12);
    }

    @Test
    void aFailingSiteIsRetriedOrDroppedAndTheGlobalAdapterIsNeverHalfWritten(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("run");
        SITE_B_FAILURES_LEFT.set(1);
        FederatedResult retried = federated(out, 1, FederatedTrainerTest::flaky).failure(SiteFailure.RETRY, 2).build()
                .train();
        assertEquals(List.of("a", "b"), retried.rounds().get(0).sites());
        byte[] saved = Files.readAllBytes(out.resolve("global/adapter_model.safetensors"));

        SITE_B_FAILURES_LEFT.set(1000);
        FederatedResult dropped = federated(dir.resolve("drop"), 1, FederatedTrainerTest::flaky)
                .failure(SiteFailure.DROP, 1).build().train();
        assertEquals(List.of("a"), dropped.rounds().get(0).sites());
        assertEquals(List.of("b"), dropped.rounds().get(0).dropped());

        assertThrows(FederatedRoundException.class, () -> federated(out, 1, FederatedTrainerTest::flaky)
                .failure(SiteFailure.RETRY, 2).build().train());
        assertArrayEquals(saved, Files.readAllBytes(out.resolve("global/adapter_model.safetensors")));
        try (Stream<Path> files = Files.list(out)) {
            assertEquals(List.of(), files.filter(p -> p.getFileName().toString().startsWith(".")).toList());
        }
    }
}
