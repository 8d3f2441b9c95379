package io.github.peft4j.train.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import io.github.peft4j.core.PeftFormatException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AdamWTest {

    /**
     * After one step m = (1-b1) g and v = (1-b2) g^2, so torch's AdamW reduces to
     * p' = p (1 - lr wd) - lr g / (|g| + eps) (bias corrections cancel exactly). Values below 1 in
     * magnitude so that float32 can hold the result to 1e-7.
     */
    @Test
    void oneStepEqualsTheClosedFormTorchUpdate() {
        float[] p0 = {0.5f, -0.8f, 0.9f, 0.0f, 0.25f};
        float[] g = {0.1f, -0.3f, 0.0f, 5.0f, 1e-9f};
        double lr = 0.01;
        double wd = 0.1;
        double eps = 1e-8;
        try (NDManager m = NDManager.newBaseManager()) {
            Parameter p = GradTestSupport.parameter(m, "w", p0);
            AdamW adam = AdamW.builder().betas(0.9, 0.999).eps(eps).weightDecay(wd)
                    .build(List.of(new NamedParameter("w", p, true)), m);
            GradTestSupport.setGradients(new Parameter[] {p}, new float[][] {g});
            adam.step(lr);
            float[] got = GradTestSupport.values(p);
            for (int i = 0; i < p0.length; i++) {
                double expected = p0[i] * (1 - lr * wd) - lr * g[i] / (Math.abs((double) g[i]) + eps);
                assertEquals(expected, got[i], 1e-7, "element " + i);
            }
            assertEquals(1, adam.stepCount());
        }
    }

    @Test
    void fiveStepsFollowTorchsAlgorithmInDoublePrecision() {
        float[] p0 = {0.3f, -0.7f, 1.1f};
        float[][] grads = {{0.2f, -0.1f, 0.05f}, {-0.4f, 0.3f, 0.0f}, {0.1f, 0.1f, -0.2f}, {0.0f, -0.5f, 0.3f},
            {0.25f, 0.2f, 0.1f}};
        double lr = 0.05;
        double b1 = 0.8;
        double b2 = 0.95;
        double eps = 1e-6;
        double wd = 0.3;
        double[] p = {p0[0], p0[1], p0[2]};
        double[] mm = new double[3];
        double[] vv = new double[3];
        try (NDManager m = NDManager.newBaseManager()) {
            Parameter param = GradTestSupport.parameter(m, "w", p0);
            AdamW adam = AdamW.builder().betas(b1, b2).eps(eps).weightDecay(wd)
                    .build(List.of(new NamedParameter("w", param, true)), m);
            for (int t = 1; t <= grads.length; t++) {
                GradTestSupport.setGradients(new Parameter[] {param}, new float[][] {grads[t - 1]});
                adam.step(lr);
                for (int i = 0; i < 3; i++) {
                    double gi = grads[t - 1][i];
                    p[i] *= 1 - lr * wd;
                    mm[i] = b1 * mm[i] + (1 - b1) * gi;
                    vv[i] = b2 * vv[i] + (1 - b2) * gi * gi;
                    double denom = Math.sqrt(vv[i]) / Math.sqrt(1 - Math.pow(b2, t)) + eps;
                    p[i] -= lr / (1 - Math.pow(b1, t)) * mm[i] / denom;
                }
                float[] got = GradTestSupport.values(param);
                for (int i = 0; i < 3; i++) {
                    assertEquals(p[i], got[i], 2e-6, "step " + t + " element " + i);
                }
            }
            Map<String, NDArray> state = adam.stateTensors();
            float[] expAvg = state.get("w.exp_avg").toFloatArray();
            float[] expAvgSq = state.get("w.exp_avg_sq").toFloatArray();
            for (int i = 0; i < 3; i++) {
                assertEquals(mm[i], expAvg[i], 1e-7);
                assertEquals(vv[i], expAvgSq[i], 1e-8);
            }
        }
    }

    @Test
    void parametersWithoutDecayAreNotDecayed() {
        try (NDManager m = NDManager.newBaseManager()) {
            Parameter w = GradTestSupport.parameter(m, "layer.weight", 2f, -4f);
            Parameter b = GradTestSupport.parameter(m, "layer.bias", 2f, -4f);
            AdamW adam = AdamW.builder().weightDecay(0.5).build(List.of(
                    new NamedParameter("layer.weight", w, true), new NamedParameter("layer.bias", b, false)), m);
            // zero gradients: the Adam part of the update is 0 / (0 + eps) = 0
            GradTestSupport.setGradients(new Parameter[] {w, b}, new float[][] {{0f, 0f}, {0f, 0f}});
            adam.step(0.1);
            assertArrayEquals(new float[] {2f * 0.95f, -4f * 0.95f}, GradTestSupport.values(w), 1e-7f);
            assertArrayEquals(new float[] {2f, -4f}, GradTestSupport.values(b), 0f);
        }
    }

    @Test
    void stateRoundTripsAndMismatchesAreNamed() {
        try (NDManager m = NDManager.newBaseManager()) {
            Parameter w = GradTestSupport.parameter(m, "w", 1f, 2f);
            AdamW a = AdamW.builder().build(List.of(new NamedParameter("w", w, true)), m);
            GradTestSupport.setGradients(new Parameter[] {w}, new float[][] {{0.5f, -0.5f}});
            a.step(0.01);
            Parameter w2 = GradTestSupport.parameter(m, "w", 1f, 2f);
            AdamW b = AdamW.builder().build(List.of(new NamedParameter("w", w2, true)), m);
            b.loadState(a.stateTensors(), a.stepCount(), Path.of("optimizer.safetensors"));
            assertEquals(1, b.stepCount());
            assertArrayEquals(a.stateTensors().get("w.exp_avg").toFloatArray(),
                    b.stateTensors().get("w.exp_avg").toFloatArray(), 0f);
            Map<String, NDArray> missing = new HashMap<>(a.stateTensors());
            missing.remove("w.exp_avg_sq");
            PeftFormatException e = assertThrows(PeftFormatException.class,
                    () -> b.loadState(missing, 1, Path.of("optimizer.safetensors")));
            assertEquals("w.exp_avg_sq", e.key());
        }
    }

    /**
     * The update's scalars are made once per step: a new learning rate each step must still follow
     * torch, and after rewinding the state to an earlier step count the repeated step (same number,
     * same learning rate) must reproduce the first one bit for bit.
     */
    @Test
    void perStepScalarsFollowTheLearningRateAndARewind() {
        float[] p0 = {0.3f, -0.7f};
        float[][] grads = {{0.2f, -0.1f}, {-0.4f, 0.3f}, {0.1f, 0.25f}};
        double[] lrs = {0.05, 0.01, 0.03};
        double b1 = 0.9;
        double b2 = 0.999;
        double wd = 0.01;
        double[] p = {p0[0], p0[1]};
        double[] mm = new double[2];
        double[] vv = new double[2];
        try (NDManager m = NDManager.newBaseManager()) {
            Parameter param = GradTestSupport.parameter(m, "w", p0);
            AdamW adam = AdamW.builder().build(List.of(new NamedParameter("w", param, true)), m);
            Map<String, NDArray> stateAfter2 = null;
            float[] paramAfter2 = null;
            for (int t = 1; t <= 3; t++) {
                if (t == 3) {
                    stateAfter2 = new HashMap<>();
                    for (Map.Entry<String, NDArray> e : adam.stateTensors().entrySet()) {
                        stateAfter2.put(e.getKey(), e.getValue().duplicate());
                    }
                    paramAfter2 = GradTestSupport.values(param);
                }
                GradTestSupport.setGradients(new Parameter[] {param}, new float[][] {grads[t - 1]});
                adam.step(lrs[t - 1]);
                for (int i = 0; i < 2; i++) {
                    double gi = grads[t - 1][i];
                    p[i] *= 1 - lrs[t - 1] * wd;
                    mm[i] = b1 * mm[i] + (1 - b1) * gi;
                    vv[i] = b2 * vv[i] + (1 - b2) * gi * gi;
                    double denom = Math.sqrt(vv[i]) / Math.sqrt(1 - Math.pow(b2, t)) + 1e-8;
                    p[i] -= lrs[t - 1] / (1 - Math.pow(b1, t)) * mm[i] / denom;
                }
                float[] got = GradTestSupport.values(param);
                for (int i = 0; i < 2; i++) {
                    assertEquals(p[i], got[i], 2e-6, "step " + t + " element " + i);
                }
            }
            float[] afterStep3 = GradTestSupport.values(param);

            param.getArray().set(paramAfter2);
            adam.loadState(stateAfter2, 2, Path.of("optimizer.safetensors"));
            GradTestSupport.setGradients(new Parameter[] {param}, new float[][] {grads[2]});
            adam.step(lrs[2]);
            assertEquals(3, adam.stepCount());
            assertArrayEquals(afterStep3, GradTestSupport.values(param), 0f);
        }
    }
}
