package io.github.peft4j.train.preference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.tuner.Tensors;
import io.github.peft4j.models.tokenizer.HfTokenizer;
import io.github.peft4j.train.PeftTrainer;
import io.github.peft4j.train.StopReason;
import io.github.peft4j.train.TrainResult;
import io.github.peft4j.train.TrainerCallback;
import io.github.peft4j.train.TrainerControl;
import io.github.peft4j.train.TrainerState;
import io.github.peft4j.train.TrainingArguments;
import io.github.peft4j.train.data.TextTokenizer;
import io.github.peft4j.train.data.preference.PreferenceDataset;
import io.github.peft4j.train.loss.TrainingObjective;
import io.github.peft4j.train.optim.LrSchedule;
import io.github.peft4j.train.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** DPO through PeftTrainer: it learns the preferences, logs TRL's metrics and resumes exactly. */
class DpoTrainingTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    static HfTokenizer tokenizer;
    static PreferenceDataset prefs;

    @TempDir
    Path tmp;

    @BeforeAll
    static void load() {
        tokenizer = Fixtures.tinyTokenizer();
        prefs = PreferenceFixtures.dataset(TextTokenizer.of(tokenizer), PreferenceFixtures.PAIRS);
    }

    @AfterAll
    static void close() {
        tokenizer.close();
    }

    private static List<JsonNode> lines(Path metrics) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(metrics)) {
            out.add(JSON.readTree(line));
        }
        return out;
    }

    @Test
    void dpoLearnsThePreferencesAndLogsTrlsMetrics() throws IOException {
        TrainingArguments args = TrainingArguments.builder(tmp).learningRate(2e-2).maxSteps(24)
                .perDeviceTrainBatchSize(4).perDeviceEvalBatchSize(8).logSteps(4).evalSteps(12).saveSteps(0).seed(3)
                .build();
        TrainResult r;
        try (NDManager m = NDManager.newBaseManager(); PeftModel model = Fixtures.tinyPeftModel(m, 0.0, 4)) {
            r = PeftTrainer.builder().model(model).args(args).objective(DpoObjective.builder().beta(0.5).build())
                    .trainDataset(prefs).evalDataset(prefs).build().train();
        }
        // the adapter starts at zero: policy = reference, every pair's loss is log 2
        assertEquals(Math.log(2), r.stepLosses().get(0), 1e-6);
        assertTrue(r.finalLoss() < 0.45, "final loss " + r.finalLoss());
        List<JsonNode> lines = lines(tmp.resolve("metrics.jsonl"));
        JsonNode first = lines.get(0);
        for (String key : List.of("loss", "rewards/chosen", "rewards/rejected", "rewards/accuracies", "rewards/margins",
                "logps/chosen", "logps/rejected")) {
            assertTrue(first.has(key), key + " in " + first);
        }
        JsonNode lastTrain = lines.stream().filter(l -> l.has("rewards/accuracies")).reduce((a, b) -> b).orElseThrow();
        assertEquals(24, lastTrain.get("step").asInt());
        assertEquals(1.0, lastTrain.get("rewards/accuracies").asDouble(), 1e-9);
        double margin = lastTrain.get("rewards/margins").asDouble();
        assertEquals(lastTrain.get("rewards/chosen").asDouble() - lastTrain.get("rewards/rejected").asDouble(), margin,
                1e-6 * Math.abs(margin));
        assertTrue(margin > 1, "margin " + margin);
        JsonNode eval = lines.stream().filter(l -> l.has("eval_rewards/accuracies")).reduce((a, b) -> b).orElseThrow();
        assertEquals(24, eval.get("step").asInt());
        assertEquals(1.0, eval.get("eval_rewards/accuracies").asDouble(), 1e-9);
        assertEquals(1.0, eval.get("eval_accuracy").asDouble(), 1e-9);
        assertEquals(8, eval.get("eval_examples").asInt());
    }

    @Test
    void resumingADpoRunEqualsTrainingStraight() throws IOException {
        TrainingArguments common = TrainingArguments.builder(tmp).learningRate(3e-2).maxSteps(10)
                .perDeviceTrainBatchSize(2).gradientAccumulationSteps(2).warmupSteps(2)
                .lrSchedulerType(LrSchedule.Type.COSINE).weightDecay(0.05).maxGradNorm(0.5).evalSteps(3)
                .perDeviceEvalBatchSize(3).saveSteps(5).logSteps(1).seed(11).build();
        Path straightDir = tmp.resolve("straight");
        Path resumedDir = tmp.resolve("resumed");
        TrainingObjective dpo = DpoObjective.builder().beta(0.2).labelSmoothing(0.1).build();
        TrainResult straight;
        try (NDManager m = NDManager.newBaseManager(); PeftModel model = Fixtures.tinyPeftModel(m, 0.1, 2)) {
            straight = PeftTrainer.builder().model(model).args(common.toBuilder().outputDir(straightDir).build())
                    .objective(dpo).trainDataset(prefs).evalDataset(prefs).build().train();
        }
        TrainingArguments resumedArgs = common.toBuilder().outputDir(resumedDir).build();
        try (NDManager m = NDManager.newBaseManager(); PeftModel model = Fixtures.tinyPeftModel(m, 0.1, 2)) {
            TrainResult first = PeftTrainer.builder().model(model).args(resumedArgs).objective(dpo).trainDataset(prefs)
                    .evalDataset(prefs).callback(new TrainerCallback() {
                        @Override
                        public void onStepEnd(TrainerState s, TrainerControl c) {
                            if (s.globalStep() == 5) {
                                c.stop("simulated crash");
                            }
                        }
                    }).build().train();
            assertEquals(StopReason.CALLBACK, first.stopReason());
        }
        TrainResult resumed;
        try (NDManager m = NDManager.newBaseManager(); PeftModel fresh = Fixtures.tinyPeftModel(m, 0.1, 2, 99)) {
            resumed = PeftTrainer.builder().model(fresh).args(resumedArgs).objective(dpo).trainDataset(prefs)
                    .evalDataset(prefs).build().resume(resumedDir.resolve("checkpoint-5"));
        }
        assertEquals(10, resumed.globalStep());
        for (int i = 0; i < 10; i++) {
            assertEquals(straight.stepLosses().get(i), resumed.stepLosses().get(i), 1e-6, "loss of step " + (i + 1));
        }
        assertTrue(straight.stepLosses().get(9) < straight.stepLosses().get(0));
        assertArrayEquals(Files.readAllBytes(straightDir.resolve("adapter_model.safetensors")),
                Files.readAllBytes(resumedDir.resolve("adapter_model.safetensors")), "adapter bytes");
        List<JsonNode> a = lines(straightDir.resolve("metrics.jsonl"));
        List<JsonNode> b = lines(resumedDir.resolve("metrics.jsonl"));
        assertEquals(a.size(), b.size());
        int compared = 0;
        for (int i = 0; i < a.size(); i++) {
            assertEquals(a.get(i).get("step").asInt(), b.get(i).get("step").asInt());
            for (String key : List.of("loss", "rewards/chosen", "rewards/margins", "rewards/accuracies", "eval_loss",
                    "eval_rewards/margins")) {
                if (a.get(i).has(key)) {
                    assertEquals(a.get(i).get(key).asDouble(), b.get(i).get(key).asDouble(), 1e-6,
                            key + " at step " + a.get(i).get("step"));
                    compared++;
                }
            }
        }
        assertTrue(compared >= 40, "compared " + compared);
    }

    @Test
    void aNamedReferenceAdapterReplacesTheBase() {
        try (NDManager m = NDManager.newBaseManager(); PeftModel model = Fixtures.tinyPeftModel(m, 0.0, 6)) {
            Engine.getInstance().setRandomSeed(5);
            for (Parameter p : model.adapterParameters("default").values()) {
                NDArray w = p.getArray();
                Tensors.assign(w, m.randomNormal(0, 0.5f, w.getShape(), w.getDataType()));
            }
            Path saved = tmp.resolve("reference");
            model.save(saved);
            model.loadAdapter(saved, "reference", false);
            assertEquals(List.of("default"), model.activeAdapters());
            var batch = prefs.batch(new int[] {0, 1, 2});
            double[] losses = new double[2];
            ReferencePolicy[] refs = {ReferencePolicy.adapter("reference"), ReferencePolicy.base()};
            for (int i = 0; i < 2; i++) {
                try (NDManager bm = m.newSubManager()) {
                    TrainingObjective.Output out = DpoObjective.builder().reference(refs[i]).build()
                            .compute(model, new ParameterStore(bm, false), batch, bm, false);
                    losses[i] = out.loss().getFloat();
                    if (i == 0) {
                        assertEquals(0, out.metrics().get("rewards/chosen").getFloat(), 1e-6);
                        assertEquals(0, out.metrics().get("rewards/margins").getFloat(), 1e-6);
                    }
                }
            }
            // the reference is the policy itself: h = 0 and the loss is log 2; against the base it is not
            assertEquals(Math.log(2), losses[0], 1e-6);
            assertTrue(Math.abs(losses[1] - Math.log(2)) > 1e-3, "base reference loss " + losses[1]);

            model.setActiveAdapters("reference");
            PeftConfigException e = assertThrows(PeftConfigException.class, () -> {
                try (NDManager bm = m.newSubManager()) {
                    DpoObjective.builder().reference(ReferencePolicy.adapter("reference")).build()
                            .compute(model, new ParameterStore(bm, false), batch, bm, false);
                }
            });
            assertTrue(e.getMessage().contains("is active"), e.getMessage());
        }
    }

    @Test
    void rpoAddsTheChosenAnswersTokenNllComputedInDoublePrecision() {
        try (NDManager m = NDManager.newBaseManager(); PeftModel model = Fixtures.tinyPeftModel(m, 0.0, 6)) {
            Engine.getInstance().setRandomSeed(11);
            for (Parameter p : model.adapterParameters("default").values()) {
                NDArray w = p.getArray();
                Tensors.assign(w, m.randomNormal(0, 0.3f, w.getShape(), w.getDataType()));
            }
            var batch = prefs.batch(new int[] {0, 1, 2});
            int n = batch.size() / 2;
            try (NDManager bm = m.newSubManager()) {
                ParameterStore ps = new ParameterStore(bm, false);
                float[] logits = model.forward(ps, batch.inputs(bm), false).head().toFloatArray();
                long[] labels = batch.labels(bm).toType(ai.djl.ndarray.types.DataType.INT64, false).toLongArray();
                DoubleLogProbs ref = DoubleLogProbs.of(logits, labels, batch.size());
                double nll = ref.nll(n);
                TrainingObjective.Output plain = DpoObjective.builder().build().compute(model, ps, batch, bm, false);
                TrainingObjective.Output rpo = DpoObjective.builder().rpoAlpha(0.5).build()
                        .compute(model, ps, batch, bm, false);
                assertTrue(ref.counts()[0] > 2, "labelled chosen tokens " + ref.counts()[0]);
                assertEquals(nll, rpo.metrics().get("nll_loss").getFloat(), 1e-5);
                assertEquals(plain.loss().getFloat() + 0.5 * nll, rpo.loss().getFloat(), 1e-5);
                assertTrue(!plain.metrics().containsKey("nll_loss"));
            }
            assertThrows(PeftConfigException.class, () -> DpoObjective.builder().rpoAlpha(-1));
        }
    }

    @Test
    void preferencePairsNeedAnObjectiveThatReadsThem() {
        try (NDManager m = NDManager.newBaseManager(); PeftModel model = Fixtures.tinyPeftModel(m, 0.0, 4)) {
            PeftConfigException e = assertThrows(PeftConfigException.class, () -> PeftTrainer.builder().model(model)
                    .args(TrainingArguments.builder(tmp).maxSteps(1).build()).trainDataset(prefs).build());
            assertTrue(e.getMessage().contains("set the objective"), e.getMessage());
        }
    }
}
