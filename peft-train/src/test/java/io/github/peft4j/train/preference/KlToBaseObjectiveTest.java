package io.github.peft4j.train.preference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.models.tokenizer.HfTokenizer;
import io.github.peft4j.train.PeftTrainer;
import io.github.peft4j.train.TrainingArguments;
import io.github.peft4j.train.data.TextTokenizer;
import io.github.peft4j.train.data.TokenizedDataset;
import io.github.peft4j.train.eval.Evaluator;
import io.github.peft4j.train.loss.CausalLmLoss;
import io.github.peft4j.train.loss.TrainingObjective;
import io.github.peft4j.train.testing.Corpus;
import io.github.peft4j.train.testing.Fixtures;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The KL term to the base model: its value in double precision, and that it holds general text near the base. */
class KlToBaseObjectiveTest {

    static HfTokenizer tokenizer;
    static TokenizedDataset domain;
    static TokenizedDataset general;

    @TempDir
    Path tmp;

    @BeforeAll
    static void load() {
        tokenizer = Fixtures.tinyTokenizer();
        TextTokenizer tok = TextTokenizer.of(tokenizer);
        TokenizedDataset all = Corpus.dataset(tok);
        // the prompt/completion records are the domain, the plain texts the general text
        domain = new TokenizedDataset(all.examples().subList(6, 12), all.batching());
        general = new TokenizedDataset(all.examples().subList(0, 6), all.batching());
    }

    @AfterAll
    static void close() {
        tokenizer.close();
    }

    @Test
    void meanKlIsTheDoublePrecisionKlOverScoredPositions() {
        int b = 2, t = 4, v = 5;
        Random r = new Random(3);
        float[] p = new float[b * t * v];
        float[] q = new float[b * t * v];
        for (int i = 0; i < p.length; i++) {
            p[i] = (float) r.nextGaussian();
            q[i] = (float) r.nextGaussian();
        }
        long[] labels = {1, 2, 3, -100, 4, -100, 2, 1};   // scored: next label of row 0 at t=0,1; row 1 at t=1,2
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray base = m.create(p, new Shape(b, t, v));
            NDArray adapted = m.create(q, new Shape(b, t, v));
            NDArray lab = m.create(labels, new Shape(b, t));
            double expected = 0;
            int n = 0;
            for (int i = 0; i < b; i++) {
                for (int j = 0; j + 1 < t; j++) {
                    if (labels[i * t + j + 1] == -100) {
                        continue;
                    }
                    double[] lp = logSoftmax(p, (i * t + j) * v, v);
                    double[] lq = logSoftmax(q, (i * t + j) * v, v);
                    for (int k = 0; k < v; k++) {
                        expected += Math.exp(lp[k]) * (lp[k] - lq[k]);
                    }
                    n++;
                }
            }
            assertEquals(4, n);
            assertEquals(expected / n, KlToBaseObjective.meanKl(base, adapted, lab).getFloat(), 1e-5);
            assertEquals(0, KlToBaseObjective.meanKl(base, base, lab).getFloat(), 1e-6);
        }
    }

    private static double[] logSoftmax(float[] x, int from, int v) {
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < v; k++) {
            max = Math.max(max, x[from + k]);
        }
        double z = 0;
        for (int k = 0; k < v; k++) {
            z += Math.exp(x[from + k] - max);
        }
        double[] out = new double[v];
        for (int k = 0; k < v; k++) {
            out[k] = x[from + k] - max - Math.log(z);
        }
        return out;
    }

    private double generalLossAfterTraining(double lambda, Path out) {
        try (NDManager m = NDManager.newBaseManager(); PeftModel model = Fixtures.tinyPeftModel(m, 0.0, 8)) {
            TrainingObjective sft = TrainingObjective.of(new CausalLmLoss());
            PeftTrainer.builder().model(model)
                    .args(TrainingArguments.builder(out).learningRate(5e-2).maxSteps(30).perDeviceTrainBatchSize(3)
                            .saveSteps(0).logSteps(10).seed(1).build())
                    .objective(lambda > 0 ? new KlToBaseObjective(sft, general, lambda, 2, 7) : sft)
                    .trainDataset(domain).build().train();
            return Evaluator.evaluate(model, general, 6, new CausalLmLoss()).loss();
        }
    }

    @Test
    void theKlTermKeepsGeneralTextNearTheBase() {
        double base;
        try (NDManager m = NDManager.newBaseManager(); PeftModel model = Fixtures.tinyPeftModel(m, 0.0, 8)) {
            base = Evaluator.evaluate(model, general, 6, new CausalLmLoss()).loss();
        }
        double plain = generalLossAfterTraining(0, tmp.resolve("plain"));
        double guarded = generalLossAfterTraining(2.0, tmp.resolve("kl"));
        assertTrue(plain - base > 0.2, "training on the domain alone forgets: " + base + " -> " + plain);
        assertTrue(guarded - base < 0.5 * (plain - base), "with the KL term: " + base + " -> " + guarded
                + " (without: " + plain + ")");
    }
}
