package io.github.peft4j.models.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * The training forms of SiLU and tanh-GELU (whose backward keeps one array) against the composed
 * forms: the same values bit for bit, gradients within 1e-6 (relative above 1), for a non-leaf input
 * (as in a training forward) and a non-uniform upstream gradient.
 */
class TrainingActivationsTest {

    @Test
    void trainingSiluEqualsSilu() {
        compare(Activations::silu, Activations::trainingSilu);
    }

    @Test
    void trainingGeluTanhEqualsGeluTanh() {
        compare(Activations::geluTanh, Activations::trainingGeluTanh);
    }

    @Test
    void trainingFormsAreChosenOnlyForTraining() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.create(new float[] {-2f, 0.5f, 3f});
            for (String name : new String[] {"silu", "gelu_new", "gelu_pytorch_tanh", "gelu", "relu"}) {
                float[] plain = Activations.of(name).apply(x).toFloatArray();
                float[] training = Activations.of(name, true).apply(x).toFloatArray();
                for (int i = 0; i < plain.length; i++) {
                    assertEquals(plain[i], training[i], 0f, name + " at " + i);
                }
            }
        }
    }

    private static void compare(UnaryOperator<NDArray> composed, UnaryOperator<NDArray> training) {
        Result a = run(composed);
        Result b = run(training);
        for (int i = 0; i < a.values.length; i++) {
            assertEquals(a.values[i], b.values[i], 0f, "value " + i);
        }
        for (int i = 0; i < a.gradient.length; i++) {
            assertEquals(a.gradient[i], b.gradient[i], 1e-6 * Math.max(1, Math.abs(a.gradient[i])), "gradient " + i);
        }
    }

    private record Result(float[] values, float[] gradient) {}

    private static Result run(UnaryOperator<NDArray> act) {
        try (NDManager manager = NDManager.newBaseManager()) {
            manager.getEngine().setRandomSeed(7);
            NDArray leaf = manager.randomNormal(0f, 3f, new Shape(64, 48), DataType.FLOAT32);
            NDArray upstream = manager.randomUniform(-1f, 1f, new Shape(64, 48));
            leaf.setRequiresGradient(true);
            float[] values;
            try (GradientCollector gc = manager.getEngine().newGradientCollector()) {
                // a non-leaf input, as in a training forward (the activation of a layer's output)
                NDArray x = leaf.add(manager.zeros(new Shape(64, 48)));
                NDArray out = act.apply(x);
                values = out.toFloatArray();
                gc.backward(out.mul(upstream).sum());
            }
            return new Result(values, leaf.getGradient().toFloatArray());
        }
    }
}
