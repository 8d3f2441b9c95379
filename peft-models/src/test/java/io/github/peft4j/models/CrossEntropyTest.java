package io.github.peft4j.models;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.github.peft4j.core.module.ModuleTree;
import io.github.peft4j.models.config.LlamaConfig;
import io.github.peft4j.models.reference.LlamaReference;
import io.github.peft4j.models.reference.RowInput;
import io.github.peft4j.models.reference.Weights;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** The loss against its definition, and gradients through a whole model against finite differences. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CrossEntropyTest {

    private NDManager manager;

    @BeforeAll
    void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    void tearDown() {
        manager.close();
    }

    /** mean over t with labels[t+1] != -100 of -log softmax(logits[t])[labels[t+1]], all rows together. */
    static double expectedLoss(double[][][] logits, long[][] labels) {
        double sum = 0;
        int count = 0;
        for (int b = 0; b < logits.length; b++) {
            for (int t = 0; t + 1 < labels[b].length; t++) {
                long target = labels[b][t + 1];
                if (target == -100) {
                    continue;
                }
                double max = Double.NEGATIVE_INFINITY;
                for (double v : logits[b][t]) {
                    max = Math.max(max, v);
                }
                double z = 0;
                for (double v : logits[b][t]) {
                    z += Math.exp(v - max);
                }
                sum += -(logits[b][t][(int) target] - max - Math.log(z));
                count++;
            }
        }
        return sum / count;
    }

    @Test
    void shiftedCrossEntropyIgnoresMinus100() {
        Random random = new Random(1);
        double[][][] logits = new double[2][5][7];
        float[] flat = new float[2 * 5 * 7];
        for (int b = 0; b < 2; b++) {
            for (int t = 0; t < 5; t++) {
                for (int v = 0; v < 7; v++) {
                    logits[b][t][v] = 3 * random.nextGaussian();
                    flat[(b * 5 + t) * 7 + v] = (float) logits[b][t][v];
                }
            }
        }
        long[][] labels = {{-100, 3, 6, -100, 0}, {2, -100, -100, 5, 1}};
        NDArray loss = CrossEntropy.causalLm(manager.create(flat, new Shape(2, 5, 7)),
                manager.create(Batches.flat(labels), new Shape(2, 5)));
        assertEquals(expectedLoss(logits, labels), loss.getFloat(), 1e-5);

        CrossEntropy.Sum sc = CrossEntropy.causalLmSum(manager.create(flat, new Shape(2, 5, 7)),
                manager.create(Batches.flat(labels), new Shape(2, 5)));
        assertEquals(5f, sc.count().getFloat());
        assertEquals(expectedLoss(logits, labels) * 5, sc.sum().getFloat(), 1e-4);

        long[][] none = {{-100, -100, -100, -100, -100}, {1, -100, -100, -100, -100}};
        assertEquals(0f, CrossEntropy.causalLm(manager.create(flat, new Shape(2, 5, 7)),
                manager.create(Batches.flat(none), new Shape(2, 5))).getFloat(), "nothing to predict: 0, not NaN");
    }


    /**
     * Logits n positions longer than the labels (prompt tuning's virtual tokens) score the labels
     * padded with n ignored positions in front, as PEFT pads them: the last virtual position
     * predicts the first real token.
     */
    @Test
    void virtualTokenPositionsInFrontAreIgnored() {
        Random random = new Random(2);
        double[][][] logits = new double[2][5][7];
        float[] flat = new float[2 * 5 * 7];
        for (int b = 0; b < 2; b++) {
            for (int t = 0; t < 5; t++) {
                for (int v = 0; v < 7; v++) {
                    logits[b][t][v] = 2 * random.nextGaussian();
                    flat[(b * 5 + t) * 7 + v] = (float) logits[b][t][v];
                }
            }
        }
        long[][] labels = {{4, -100, 1}, {-100, 6, 2}};
        long[][] padded = {{-100, -100, 4, -100, 1}, {-100, -100, -100, 6, 2}};
        NDArray l = manager.create(flat, new Shape(2, 5, 7));
        NDArray short3 = manager.create(Batches.flat(labels), new Shape(2, 3));
        assertEquals(2, CrossEntropy.prependedPositions(l.getShape(), short3.getShape()));
        assertEquals(expectedLoss(logits, padded), CrossEntropy.causalLm(l, short3).getFloat(), 1e-5);
        CrossEntropy.Sum sc = CrossEntropy.causalLmSum(l, short3);
        assertEquals(4f, sc.count().getFloat(), "the first real label is scored too");
        long[] argMax = new long[10];
        for (int b = 0; b < 2; b++) {
            for (int t = 0; t < 5; t++) {
                int best = 0;
                for (int v = 1; v < 7; v++) {
                    best = logits[b][t][v] > logits[b][t][best] ? v : best;
                }
                argMax[b * 5 + t] = best;
            }
        }
        // labels that are exactly the arg-max of the position before: all 4 scored tokens right
        long[][] right = {{argMax[1], -100, argMax[3]}, {-100, argMax[7], argMax[8]}};
        assertEquals(4L, CrossEntropy.causalLmCorrect(l, manager.create(Batches.flat(right), new Shape(2, 3)))
                .getLong());
        assertEquals(0L, CrossEntropy.causalLmCorrect(l, manager.create(Batches.flat(
                new long[][] {{-100, -100, -100}, {-100, -100, -100}}), new Shape(2, 3))).getLong());
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> CrossEntropy.causalLm(l, manager.create(new long[12], new Shape(2, 6))));
        assertEquals("causal LM loss needs logits [B, T (+ virtual tokens), V] and labels [B, T], got (2, 5, 7)"
                + " and (2, 6)", e.getMessage());
    }

    /**
     * Autograd through the composed ops (RoPE, grouped-query attention, RMSNorm, SwiGLU, the loss)
     * against central differences of the double-precision reference.
     */
    @Test
    void gradientsThroughTheModelMatchFiniteDifferences() {
        LlamaConfig config = LlamaConfig.tiny().numLayers(1).build();
        try (PretrainedModel model = ModelFactory.create(config, manager, 61)) {
            TestSupport.randomize(model.block(), 62);
            Batches batch = Batches.random(config.vocabSize(), new int[] {6, 4}, false, 63);
            long[][] labels = new long[2][];
            for (int r = 0; r < 2; r++) {
                labels[r] = batch.ids[r].clone();
                for (int i = 0; i < labels[r].length; i++) {
                    if (batch.mask[r][i] == 0) {
                        labels[r][i] = -100;
                    }
                }
            }
            Map<String, Parameter> params = ModuleTree.of(model.block()).parameters();
            String[] keys = {"model.layers.0.self_attn.q_proj.weight", "model.layers.0.self_attn.k_proj.weight",
                    "model.layers.0.input_layernorm.weight", "model.layers.0.mlp.down_proj.weight",
                    "model.embed_tokens.weight", "lm_head.weight"};
            int[] indices = {5, 77, 3, 200, 64 * (int) batch.ids[0][2] + 1, 9};
            float[][] grads = new float[keys.length][];
            try (NDManager step = manager.newSubManager()) {
                ParameterStore ps = new ParameterStore(step, false);
                NDList inputs = batch.inputs(step);
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray logits = model.block().forward(ps, inputs, true).head();
                    NDArray loss = CrossEntropy.causalLm(logits, step.create(Batches.flat(labels), new Shape(2, 6)));
                    gc.backward(loss);
                }
                for (int k = 0; k < keys.length; k++) {
                    try (NDArray g = params.get(keys[k]).getArray().getGradient()) {
                        grads[k] = g.toFloatArray();
                    }
                }
            }
            Weights weights = Weights.of(model.block());
            double h = 1e-5;
            for (int k = 0; k < keys.length; k++) {
                double up = referenceLoss(config, weights.perturbed(keys[k], indices[k], h), batch, labels);
                double down = referenceLoss(config, weights.perturbed(keys[k], indices[k], -h), batch, labels);
                double numeric = (up - down) / (2 * h);
                assertEquals(numeric, grads[k][indices[k]], 1e-4 + 1e-3 * Math.abs(numeric), keys[k]);
            }
        }
    }

    private static double referenceLoss(LlamaConfig config, Weights w, Batches batch, long[][] labels) {
        LlamaReference ref = new LlamaReference(config, w);
        double[][][] logits = new double[batch.rows()][][];
        for (int r = 0; r < batch.rows(); r++) {
            logits[r] = ref.forward(new RowInput(batch.ids[r]).mask(batch.mask[r]));
        }
        return expectedLoss(logits, labels);
    }
}
