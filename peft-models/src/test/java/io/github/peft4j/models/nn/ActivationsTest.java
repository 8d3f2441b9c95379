package io.github.peft4j.models.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.github.peft4j.models.reference.RefMath;
import java.util.function.DoubleUnaryOperator;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** The composed activations against the double-precision formulas: values and autograd gradients. */
class ActivationsTest {

    private static final float[] XS = {-30f, -8f, -3.5f, -1f, -0.25f, 0f, 1e-3f, 0.5f, 1f, 2.7f, 6f, 40f};

    @Test
    void geluTanhIsTheTanhApproximationWithItsDerivative() {
        check(Activations::geluTanh, RefMath::geluTanh);
    }

    @Test
    void siluIsXTimesSigmoidWithItsDerivative() {
        check(Activations::silu, RefMath::silu);
    }

    private static void check(UnaryOperator<NDArray> act, DoubleUnaryOperator ref) {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.create(XS);
            x.setRequiresGradient(true);
            float[] y;
            try (GradientCollector gc = manager.getEngine().newGradientCollector()) {
                NDArray out = act.apply(x);
                y = out.toFloatArray();
                gc.backward(out.sum());
            }
            float[] grad = x.getGradient().toFloatArray();
            for (int i = 0; i < XS.length; i++) {
                double v = XS[i];
                double h = 1e-5 * Math.max(1, Math.abs(v));
                double slope = (ref.applyAsDouble(v + h) - ref.applyAsDouble(v - h)) / (2 * h);
                assertEquals(ref.applyAsDouble(v), y[i], 2e-6 * Math.max(1, Math.abs(v)), "value at " + v);
                assertEquals(slope, grad[i], 2e-5, "gradient at " + v);
            }
        }
    }
}
