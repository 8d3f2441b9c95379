package io.github.peft4j.train.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

class CausalLmLossTest {

    static final float[] LOGITS = {
        // row 0: three positions over a vocabulary of 4
        0.1f, -0.3f, 1.2f, 0.4f, 2.0f, 0.5f, -1.0f, 0.0f, 0.3f, 0.3f, 0.3f, 0.3f,
        // row 1
        -0.5f, 0.8f, 0.1f, 0.9f, 0.0f, 0.2f, 0.4f, 1.5f, 9.0f, -9.0f, 0.0f, 0.0f};
    static final long[] LABELS = {-100, 2, 0, 1, -100, 3};

    static double logSoftmax(int row, int t, int k) {
        int base = (row * 3 + t) * 4;
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < 4; i++) {
            max = Math.max(max, LOGITS[base + i]);
        }
        double sum = 0;
        for (int i = 0; i < 4; i++) {
            sum += Math.exp(LOGITS[base + i] - max);
        }
        return LOGITS[base + k] - max - Math.log(sum);
    }

    @Test
    void meanOverShiftedLabelsIgnoringMinus100() {
        // position t scores the label at t+1: (row 0, t0) -> 2, (row 0, t1) -> 0, (row 1, t1) -> 3; (row 1, t0) -> -100
        double expected = -(logSoftmax(0, 0, 2) + logSoftmax(0, 1, 0) + logSoftmax(1, 1, 3)) / 3;
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray logits = m.create(LOGITS, new Shape(2, 3, 4));
            NDArray labels = m.create(LABELS, new Shape(2, 3));
            CausalLmLoss loss = new CausalLmLoss();
            assertEquals(expected, loss.compute(new NDList(logits), labels).getFloat(), 1e-6);
            // arg-max: (0,t0) = 2 right, (0,t1) = 0 right, (1,t1) = 3 right
            assertEquals(3L, loss.correctCount(new NDList(logits), labels).getLong());
            NDArray wrong = m.create(new long[] {-100, 1, 1, 1, -100, 0}, new Shape(2, 3));
            assertEquals(0L, loss.correctCount(new NDList(logits), wrong).getLong());
        }
    }

    @Test
    void gradientIsSoftmaxMinusOneHotOverCount() {
        try (NDManager m = NDManager.newBaseManager();
                GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray logits = m.create(LOGITS, new Shape(2, 3, 4));
            logits.setRequiresGradient(true);
            NDArray labels = m.create(LABELS, new Shape(2, 3));
            gc.backward(new CausalLmLoss().compute(new NDList(logits), labels));
            float[] grad = logits.getGradient().toFloatArray();
            int[][] scored = {{0, 0, 2}, {0, 1, 0}, {1, 1, 3}};
            double[] expected = new double[24];
            for (int[] s : scored) {
                for (int k = 0; k < 4; k++) {
                    expected[(s[0] * 3 + s[1]) * 4 + k] = (Math.exp(logSoftmax(s[0], s[1], k)) - (k == s[2] ? 1 : 0)) / 3;
                }
            }
            for (int i = 0; i < 24; i++) {
                assertEquals(expected[i], grad[i], 1e-6, "logit " + i);
            }
        }
    }

    @Test
    void noScoredTokenGivesZeroNotNaN() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray logits = m.create(LOGITS, new Shape(2, 3, 4));
            NDArray labels = m.create(new long[] {5, -100, -100, 7, -100, -100}, new Shape(2, 3));
            assertEquals(0f, new CausalLmLoss().compute(new NDList(logits), labels).getFloat(), 0f);
            assertThrows(IllegalArgumentException.class,
                    () -> new CausalLmLoss().compute(new NDList(logits), m.create(new long[] {1, 2}, new Shape(2))));
        }
    }

    @Test
    void classificationLossAndAccuracy() {
        float[] l = {2f, 0f, 0f, 1f, 3f, -1f};
        double expected = -(Math.log(Math.exp(0) / (Math.exp(2) + Math.exp(0)))
                + Math.log(Math.exp(0) / (Math.exp(0) + Math.exp(1)))) / 2;
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray logits = m.create(l, new Shape(3, 2));
            NDArray labels = m.create(new long[] {1, 0, -100});
            ClassificationLoss loss = new ClassificationLoss();
            assertEquals(expected, loss.compute(new NDList(logits), labels).getFloat(), 1e-6);
            assertEquals(0L, loss.correctCount(new NDList(logits), labels).getLong());
            assertEquals(3L, loss.correctCount(new NDList(logits), m.create(new long[] {0, 1, 0})).getLong());
            assertEquals(2L, loss.correctCount(new NDList(logits), m.create(new long[] {0, 0, 0})).getLong());
        }
    }
}
