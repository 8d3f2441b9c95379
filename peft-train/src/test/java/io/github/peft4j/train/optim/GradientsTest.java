package io.github.peft4j.train.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import java.util.List;
import org.junit.jupiter.api.Test;

class GradientsTest {

    @Test
    void clipsTheGlobalNormIncludingNegativeComponents() {
        try (NDManager m = NDManager.newBaseManager()) {
            Parameter a = GradTestSupport.parameter(m, "a", 0f, 0f);
            Parameter b = GradTestSupport.parameter(m, "b", 0f);
            // global norm sqrt(3^2 + 4^2 + 12^2) = 13
            GradTestSupport.setGradients(new Parameter[] {a, b}, new float[][] {{-3f, 4f}, {-12f}});
            double norm = Gradients.clipGlobalNorm(List.of(a, b), 1.0);
            assertEquals(13.0, norm, 1e-6);
            double coef = 1.0 / (13.0 + 1e-6);
            assertArrayEquals(new float[] {(float) (-3 * coef), (float) (4 * coef)}, GradTestSupport.gradient(a), 1e-7f);
            assertArrayEquals(new float[] {(float) (-12 * coef)}, GradTestSupport.gradient(b), 1e-7f);
            assertEquals(1.0, Gradients.globalNorm(List.of(a, b)), 1e-6);
        }
    }

    @Test
    void leavesSmallGradientsAlone() {
        try (NDManager m = NDManager.newBaseManager()) {
            Parameter a = GradTestSupport.parameter(m, "a", 0f, 0f);
            GradTestSupport.setGradients(new Parameter[] {a}, new float[][] {{0.3f, -0.4f}});
            assertEquals(0.5, Gradients.clipGlobalNorm(List.of(a), 1.0), 1e-7);
            assertArrayEquals(new float[] {0.3f, -0.4f}, GradTestSupport.gradient(a), 0f);
            // max_grad_norm <= 0 only measures
            assertEquals(0.5, Gradients.clipGlobalNorm(List.of(a), 0.0), 1e-7);
            assertArrayEquals(new float[] {0.3f, -0.4f}, GradTestSupport.gradient(a), 0f);
        }
    }

    @Test
    void zeroClearsNaNAndReportsNonFiniteNorms() {
        try (NDManager m = NDManager.newBaseManager()) {
            Parameter a = GradTestSupport.parameter(m, "a", 0f, 0f);
            GradTestSupport.setGradients(new Parameter[] {a}, new float[][] {{Float.NaN, 1f}});
            assertTrue(Double.isNaN(Gradients.clipGlobalNorm(List.of(a), 1.0)));
            Gradients.zero(List.of(a));
            assertArrayEquals(new float[] {0f, 0f}, GradTestSupport.gradient(a), 0f);
        }
    }
}
