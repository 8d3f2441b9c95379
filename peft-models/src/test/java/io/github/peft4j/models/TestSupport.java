package io.github.peft4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import io.github.peft4j.core.module.ModuleTree;
import io.github.peft4j.core.testing.SharedFixtures;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;

/** Fixture locations, weight randomisation and forward helpers shared by the tests. */
public final class TestSupport {

    private TestSupport() {}

    /** @return the shared directory (the test is skipped without it, see {@link SharedFixtures}) */
    public static Path sharedDir() {
        return SharedFixtures.dir();
    }

    /** @param name tiny_gpt2, fake_gpt2 or bert_tiniest @return its checkpoint directory */
    public static Path fixture(String name) {
        return SharedFixtures.require(sharedDir().resolve("fixtures/hf").resolve(name));
    }

    /**
     * Overwrites every parameter with random values, so that no weight keeps a special value
     * (unit norms, zero biases) that could hide a mix-up: 2-D weights N(0, 1/sqrt(fan)), embeddings
     * N(0, 1/sqrt(dim)) (so tied and untied heads give logits of the same scale), norm scales
     * 1 + N(0, 0.1), biases N(0, 0.1).
     */
    public static void randomize(Block model, long seed) {
        Random random = new Random(seed);
        for (Map.Entry<String, Parameter> e : ModuleTree.of(model).parameters().entrySet()) {
            NDArray array = e.getValue().getArray();
            long[] shape = array.getShape().getShape();
            float[] values = new float[Math.toIntExact(array.size())];
            String key = e.getKey();
            boolean norm = key.contains("norm") || key.contains("LayerNorm") || key.contains("ln_");
            boolean embedding = shape.length == 2
                    && (key.contains("embed") || key.contains(".wte.") || key.contains(".wpe."));
            for (int i = 0; i < values.length; i++) {
                double g = random.nextGaussian();
                if (embedding) {
                    values[i] = (float) (g / Math.sqrt(shape[1]));
                } else if (shape.length == 2) {
                    long fan = key.contains("c_") ? shape[0] : shape[1];
                    values[i] = (float) (g / Math.sqrt(fan));
                } else if (norm && key.endsWith("weight")) {
                    values[i] = (float) (1 + 0.1 * g);
                } else {
                    values[i] = (float) (0.1 * g);
                }
            }
            array.set(values);
        }
    }

    /** Inference forward returning the first output as floats. */
    public static float[] forward(Block model, NDManager manager, NDList inputs) {
        try (NDManager sub = manager.newSubManager()) {
            NDList copy = new NDList();
            for (NDArray a : inputs) {
                NDArray c = a.duplicate();
                c.attach(sub);
                copy.add(c);
            }
            return model.forward(new ParameterStore(sub, false), copy, false).head().toFloatArray();
        }
    }

    /** @return the largest absolute difference */
    public static double maxAbsDiff(float[] a, double[] b) {
        if (a.length != b.length) {
            throw new AssertionError("lengths differ: " + a.length + " vs " + b.length);
        }
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }

    /** @return the largest absolute difference */
    public static double maxAbsDiff(float[] a, float[] b) {
        double[] wide = new double[b.length];
        for (int i = 0; i < b.length; i++) {
            wide[i] = b[i];
        }
        return maxAbsDiff(a, wide);
    }
}
