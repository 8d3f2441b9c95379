package io.github.peft4j.train.preference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.tuner.Tensors;
import io.github.peft4j.models.tokenizer.HfTokenizer;
import io.github.peft4j.train.PeftTrainer;
import io.github.peft4j.train.TrainResult;
import io.github.peft4j.train.TrainingArguments;
import io.github.peft4j.train.data.TextTokenizer;
import io.github.peft4j.train.data.preference.PreferenceDataset;
import io.github.peft4j.train.loss.TrainingObjective;
import io.github.peft4j.train.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ORPO: the loss and TRL's metrics against a double-precision computation, and a run that learns. */
class OrpoObjectiveTest {

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

    @Test
    void lossAndMetricsEqualTrlsFormulaInDoublePrecision() {
        double beta = 0.25;
        try (NDManager m = NDManager.newBaseManager(); PeftModel model = Fixtures.tinyPeftModel(m, 0.0, 6)) {
            Engine.getInstance().setRandomSeed(17);
            for (Parameter p : model.adapterParameters("default").values()) {
                NDArray w = p.getArray();
                Tensors.assign(w, m.randomNormal(0, 0.3f, w.getShape(), w.getDataType()));
            }
            var batch = prefs.batch(new int[] {0, 4, 5, 7});
            int n = batch.size() / 2;
            try (NDManager bm = m.newSubManager()) {
                ParameterStore ps = new ParameterStore(bm, false);
                float[] logits = model.forward(ps, batch.inputs(bm), false).head().toFloatArray();
                long[] labels = batch.labels(bm).toType(DataType.INT64, false).toLongArray();
                DoubleLogProbs ref = DoubleLogProbs.of(logits, labels, batch.size());
                double ratioSum = 0;
                double oddsSum = 0;
                double chosenMean = 0;
                int wins = 0;
                for (int i = 0; i < n; i++) {
                    double c = ref.mean(i);
                    double r = ref.mean(n + i);
                    double logOdds = (c - r) - (Math.log(1 - Math.exp(c)) - Math.log(1 - Math.exp(r)));
                    oddsSum += logOdds;
                    ratioSum += -Math.log1p(Math.exp(-logOdds));
                    chosenMean += c / n;
                    wins += c > r ? 1 : 0;
                }
                double expected = ref.nll(n) - beta * ratioSum / n;

                TrainingObjective.Output out = OrpoObjective.builder().beta(beta).build()
                        .compute(model, ps, batch, bm, false);
                assertEquals(expected, out.loss().getFloat(), 1e-5);
                assertEquals(ref.nll(n), out.metrics().get("nll_loss").getFloat(), 1e-5);
                assertEquals(ratioSum / n, out.metrics().get("log_odds_ratio").getFloat(), 1e-5);
                assertEquals(oddsSum / n, out.metrics().get("log_odds_chosen").getFloat(), 1e-5);
                assertEquals(chosenMean, out.metrics().get("logps/chosen").getFloat(), 1e-5);
                assertEquals(beta * chosenMean, out.metrics().get("rewards/chosen").getFloat(), 1e-5);
                assertEquals((double) wins / n, out.metrics().get("rewards/accuracies").getFloat(), 1e-6);
                assertEquals(n, out.items());
                assertEquals(wins, out.correct().getLong());
            }
        }
        assertThrows(PeftConfigException.class, () -> OrpoObjective.builder().beta(0));
    }

    @Test
    void orpoLearnsThePreferencesWithoutAReferenceModel() throws IOException {
        TrainingArguments args = TrainingArguments.builder(tmp).learningRate(2e-2).maxSteps(24)
                .perDeviceTrainBatchSize(4).perDeviceEvalBatchSize(8).logSteps(4).evalSteps(0).saveSteps(0).seed(3)
                .build();
        TrainResult r;
        try (NDManager m = NDManager.newBaseManager(); PeftModel model = Fixtures.tinyPeftModel(m, 0.0, 4)) {
            r = PeftTrainer.builder().model(model).args(args).objective(OrpoObjective.builder().beta(1.0).build())
                    .trainDataset(prefs).build().train();
        }
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> lines = Files.readAllLines(tmp.resolve("metrics.jsonl")).stream().map(l -> {
            try {
                return json.readTree(l);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }).filter(l -> l.has("nll_loss")).toList();
        JsonNode first = lines.get(0);
        JsonNode last = lines.get(lines.size() - 1);
        assertEquals(24, last.get("step").asInt());
        assertTrue(last.get("nll_loss").asDouble() < 0.8 * first.get("nll_loss").asDouble(),
                "nll " + first.get("nll_loss") + " -> " + last.get("nll_loss"));
        assertEquals(1.0, last.get("rewards/accuracies").asDouble(), 1e-9);
        assertTrue(last.get("log_odds_chosen").asDouble() > first.get("log_odds_chosen").asDouble() + 0.5,
                "log odds " + first.get("log_odds_chosen") + " -> " + last.get("log_odds_chosen"));
        assertTrue(r.finalLoss() < r.stepLosses().get(0), "loss " + r.stepLosses().get(0) + " -> " + r.finalLoss());
    }
}
