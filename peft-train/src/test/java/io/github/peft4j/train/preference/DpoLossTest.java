package io.github.peft4j.train.preference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.tuner.Tensors;
import io.github.peft4j.models.tokenizer.HfTokenizer;
import io.github.peft4j.train.data.Batch;
import io.github.peft4j.train.data.TextTokenizer;
import io.github.peft4j.train.data.preference.PreferenceDataset;
import io.github.peft4j.train.loss.TrainingObjective;
import io.github.peft4j.train.optim.Gradients;
import io.github.peft4j.train.testing.Fixtures;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** DPO's loss and gradient against a double-precision computation from the model's own logits. */
class DpoLossTest {

    static HfTokenizer tokenizer;
    static PreferenceDataset data;

    @BeforeAll
    static void load() {
        tokenizer = Fixtures.tinyTokenizer();
        data = PreferenceFixtures.dataset(TextTokenizer.of(tokenizer), PreferenceFixtures.PAIRS);
    }

    @AfterAll
    static void close() {
        tokenizer.close();
    }

    /** A model whose adapter is not zero, so that policy and reference differ. */
    private static PeftModel movedModel(NDManager m) {
        PeftModel model = Fixtures.tinyPeftModel(m, 0.0, 5);
        Engine.getInstance().setRandomSeed(17);
        for (Parameter p : model.adapterParameters("default").values()) {
            NDArray a = p.getArray();
            Tensors.assign(a, m.randomNormal(0, 0.5f, a.getShape(), a.getDataType()));
        }
        return model;
    }

    private static double[][][] logits(PeftModel model, Batch b, NDManager m, boolean base) {
        NDList inputs = b.inputs(m);
        NDArray out;
        if (base) {
            try (PeftModel.DisabledAdapters off = model.disableAdapters()) {
                out = model.forward(new ParameterStore(m, false), inputs, false).head();
            }
        } else {
            out = model.forward(new ParameterStore(m, false), inputs, false).head();
        }
        float[] f = out.toFloatArray();
        Shape s = out.getShape();
        int rows = (int) s.get(0), t = (int) s.get(1), v = (int) s.get(2);
        double[][][] d = new double[rows][t][v];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < t; j++) {
                for (int k = 0; k < v; k++) {
                    d[i][j][k] = f[(i * t + j) * v + k];
                }
            }
        }
        return d;
    }

    /** Sum over labelled tokens of log softmax(logits[t])[label[t + 1]], in double. */
    static double[] logProbs(double[][][] logits, int[][] labels, boolean mean) {
        double[] out = new double[labels.length];
        for (int i = 0; i < labels.length; i++) {
            int n = 0;
            for (int t = 0; t + 1 < labels[i].length; t++) {
                int y = labels[i][t + 1];
                if (y == -100) {
                    continue;
                }
                double[] row = logits[i][t];
                double max = Double.NEGATIVE_INFINITY;
                for (double x : row) {
                    max = Math.max(max, x);
                }
                double z = 0;
                for (double x : row) {
                    z += Math.exp(x - max);
                }
                out[i] += row[y] - max - Math.log(z);
                n++;
            }
            if (mean) {
                out[i] /= Math.max(1, n);
            }
        }
        return out;
    }

    static double logSigmoid(double x) {
        return x >= 0 ? -Math.log1p(Math.exp(-x)) : x - Math.log1p(Math.exp(x));
    }

    /** TRL's dpo_loss, mean over pairs, in double. */
    static double dpoLoss(DpoLoss.Type type, double beta, double eps, double[] policy, double[] ref) {
        int n = policy.length / 2;
        double total = 0;
        for (int i = 0; i < n; i++) {
            double h = (policy[i] - policy[n + i]) - (ref[i] - ref[n + i]);
            total += type == DpoLoss.Type.IPO ? Math.pow(h - 1 / (2 * beta), 2)
                    : -logSigmoid(beta * h) * (1 - eps) - logSigmoid(-beta * h) * eps;
        }
        return total / n;
    }

    private static double handLoss(PeftModel model, Batch b, NDManager m, DpoLoss.Type type, double beta, double eps,
            double[] ref) {
        try (NDManager scratch = m.newSubManager()) {
            return dpoLoss(type, beta, eps, logProbs(logits(model, b, scratch, false), b.labelRows(), type == DpoLoss.Type.IPO),
                    ref);
        }
    }

    @Test
    void lossMetricsAndParameterGradientsMatchDoublePrecision() {
        for (DpoLoss.Type type : DpoLoss.Type.values()) {
            double beta = type == DpoLoss.Type.IPO ? 0.5 : 0.3;
            double eps = type == DpoLoss.Type.IPO ? 0 : 0.1;
            DpoObjective dpo = DpoObjective.builder().lossType(type).beta(beta).labelSmoothing(eps).build();
            try (NDManager m = NDManager.newBaseManager(); PeftModel model = movedModel(m)) {
                Batch b = data.batch(new int[] {0, 4, 5, 6});
                boolean mean = type == DpoLoss.Type.IPO;
                double[] policy = logProbs(logits(model, b, m, false), b.labelRows(), mean);
                double[] ref = logProbs(logits(model, b, m, true), b.labelRows(), mean);
                double expected = dpoLoss(type, beta, eps, policy, ref);

                Map<String, Parameter> params = model.adapterParameters("default");
                List<Parameter> list = new ArrayList<>(params.values());
                Gradients.zero(list);
                double loss;
                Map<String, Double> metrics = new java.util.HashMap<>();
                try (NDManager bm = m.newSubManager();
                        GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    TrainingObjective.Output out = dpo.compute(model, new ParameterStore(bm, false), b, bm, true);
                    assertEquals(4, out.items());
                    loss = out.loss().getFloat();
                    out.metrics().forEach((k, v) -> metrics.put(k, (double) v.getFloat()));
                    gc.backward(out.loss());
                }
                assertEquals(expected, loss, 1e-5 * Math.max(1, Math.abs(expected)), type + " loss");
                assertTrue(Math.abs(expected - Math.log(2)) > 1e-3, "policy and reference differ: " + expected);

                double chosen = 0, rejected = 0, accuracy = 0;
                for (int i = 0; i < 4; i++) {
                    double rc = beta * (policy[i] - ref[i]);
                    double rr = beta * (policy[4 + i] - ref[4 + i]);
                    chosen += rc / 4;
                    rejected += rr / 4;
                    accuracy += rc > rr ? 0.25 : 0;
                }
                assertEquals(chosen, metrics.get("rewards/chosen"), 1e-5);
                assertEquals(rejected, metrics.get("rewards/rejected"), 1e-5);
                assertEquals(chosen - rejected, metrics.get("rewards/margins"), 1e-5);
                assertEquals(accuracy, metrics.get("rewards/accuracies"), 1e-9);
                assertEquals((policy[0] + policy[1] + policy[2] + policy[3]) / 4, metrics.get("logps/chosen"), 1e-4);

                // central differences of the double-precision loss, entry by entry of every adapter tensor
                int checked = 0;
                for (Map.Entry<String, Parameter> e : params.entrySet()) {
                    NDArray w = e.getValue().getArray();
                    float[] grad = w.getGradient().toFloatArray();
                    float[] values = w.toFloatArray();
                    for (int k = 0; k < Math.min(4, values.length); k++) {
                        double h = 2e-3;
                        double[] at = new double[2];
                        for (int side = 0; side < 2; side++) {
                            float[] moved = values.clone();
                            moved[k] += (float) (side == 0 ? h : -h);
                            Tensors.assign(w, m.create(moved, w.getShape()));
                            at[side] = handLoss(model, b, m, type, beta, eps, ref);
                        }
                        Tensors.assign(w, m.create(values, w.getShape()));
                        double numeric = (at[0] - at[1]) / (2 * h);
                        assertEquals(numeric, grad[k], 1e-4 + 2e-2 * Math.abs(numeric),
                                type + " d/d " + e.getKey() + "[" + k + "]");
                        checked++;
                    }
                }
                assertTrue(checked >= 24, "checked " + checked);
                Gradients.zero(list);
            }
        }
    }

    @Test
    void theGradientWithRespectToTheLogitsIsTheAnalyticOne() {
        double beta = 0.2;
        double eps = 0.15;
        try (NDManager m = NDManager.newBaseManager(); PeftModel model = movedModel(m)) {
            Batch b = data.batch(new int[] {1, 2, 7});
            double[][][] pl = logits(model, b, m, false);
            double[] ref = logProbs(logits(model, b, m, true), b.labelRows(), false);
            int rows = pl.length, t = pl[0].length, v = pl[0][0].length;
            float[] flat = new float[rows * t * v];
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < t; j++) {
                    for (int k = 0; k < v; k++) {
                        flat[(i * t + j) * v + k] = (float) pl[i][j][k];
                    }
                }
            }
            NDArray leaf = m.create(flat, new Shape(rows, t, v));
            leaf.setRequiresGradient(true);
            NDArray refArray = m.create(toFloat(ref));
            int n = rows / 2;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                SequenceLogProbs lp = SequenceLogProbs.of(leaf, b.labels(m));
                DpoLoss.Terms terms = DpoLoss.compute(DpoLoss.Type.SIGMOID, beta, eps, lp.sums().get(":" + n),
                        lp.sums().get(n + ":"), refArray.get(":" + n), refArray.get(n + ":"));
                gc.backward(terms.losses().mean());
            }
            float[] grad = leaf.getGradient().toFloatArray();
            // dL/dh = beta (-(1 - e) sigmoid(-beta h) + e sigmoid(beta h)) / n; dh/dlogp = +1 chosen, -1 rejected;
            // dlogp/dlogits[t, k] = 1[k = y(t + 1)] - softmax(logits[t])[k] at labelled positions
            double[] policy = logProbs(pl, b.labelRows(), false);
            int[][] labels = b.labelRows();
            double maxError = 0;
            for (int i = 0; i < rows; i++) {
                int pair = i % n;
                double h = (policy[pair] - policy[n + pair]) - (ref[pair] - ref[n + pair]);
                double dh = beta * (-(1 - eps) / (1 + Math.exp(beta * h)) + eps / (1 + Math.exp(-beta * h))) / n;
                double sign = i < n ? 1 : -1;
                for (int j = 0; j < t; j++) {
                    int y = j + 1 < t ? labels[i][j + 1] : -100;
                    double max = Double.NEGATIVE_INFINITY;
                    for (double x : pl[i][j]) {
                        max = Math.max(max, x);
                    }
                    double z = 0;
                    for (double x : pl[i][j]) {
                        z += Math.exp(x - max);
                    }
                    for (int k = 0; k < v; k++) {
                        double expected = y == -100 ? 0
                                : dh * sign * ((k == y ? 1 : 0) - Math.exp(pl[i][j][k] - max) / z);
                        maxError = Math.max(maxError, Math.abs(expected - grad[(i * t + j) * v + k]));
                    }
                }
            }
            assertTrue(maxError < 1e-6, "max error " + maxError);
        }
    }

    private static float[] toFloat(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }
}
