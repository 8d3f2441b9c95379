package io.github.peft4j.models.reference;

import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import io.github.peft4j.core.module.ModuleTree;
import io.github.peft4j.core.safetensors.SafetensorsDType;
import io.github.peft4j.core.safetensors.SafetensorsFile;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** A model's weights as double arrays, looked up by Hugging Face key. */
public final class Weights {

    private final Map<String, double[]> values = new HashMap<>();
    private final Map<String, long[]> shapes = new HashMap<>();

    private Weights() {}

    /** @param model an initialised block @return copies of all its parameters */
    public static Weights of(Block model) {
        Weights w = new Weights();
        for (Map.Entry<String, Parameter> e : ModuleTree.of(model).parameters().entrySet()) {
            float[] f = e.getValue().getArray().toFloatArray();
            double[] d = new double[f.length];
            for (int i = 0; i < f.length; i++) {
                d[i] = f[i];
            }
            w.values.put(e.getKey(), d);
            w.shapes.put(e.getKey(), e.getValue().getArray().getShape().getShape());
        }
        return w;
    }

    /**
     * The tensors of a safetensors file as written, read without any model block: a reference
     * computed from them shares nothing with the loader under test.
     *
     * @param file an F32 {@code model.safetensors}
     * @return its tensors by key
     */
    public static Weights fromSafetensors(Path file) {
        Weights w = new Weights();
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (String name : f.names()) {
                if (f.info(name).dtype() != SafetensorsDType.F32) {
                    throw new AssertionError(name + " is not F32");
                }
                FloatBuffer raw = f.rawBytes(name).asFloatBuffer();
                double[] d = new double[raw.remaining()];
                for (int i = 0; i < d.length; i++) {
                    d[i] = raw.get(i);
                }
                w.values.put(name, d);
                w.shapes.put(name, f.info(name).shape());
            }
        }
        return w;
    }

    /** @return the keys */
    public java.util.Set<String> keys() {
        return java.util.Collections.unmodifiableSet(values.keySet());
    }

    /** @return a copy in which one element of one weight is shifted by {@code delta} */
    public Weights perturbed(String key, int index, double delta) {
        Weights w = new Weights();
        w.values.putAll(values);
        w.shapes.putAll(shapes);
        double[] copy = vec(key).clone();
        copy[index] += delta;
        w.values.put(key, copy);
        return w;
    }

    /** @return a copy in which one weight is multiplied by {@code factor} */
    public Weights scaled(String key, double factor) {
        Weights w = new Weights();
        w.values.putAll(values);
        w.shapes.putAll(shapes);
        double[] copy = vec(key).clone();
        for (int i = 0; i < copy.length; i++) {
            copy[i] *= factor;
        }
        w.values.put(key, copy);
        return w;
    }

    /** @return whether the key exists */
    public boolean has(String key) {
        return values.containsKey(key);
    }

    /** @return a 1-D weight */
    public double[] vec(String key) {
        double[] v = values.get(key);
        if (v == null) {
            throw new AssertionError("no weight " + key);
        }
        return v;
    }

    /** @return a 2-D weight as rows, in its stored layout */
    public double[][] mat(String key) {
        double[] flat = vec(key);
        long[] s = shapes.get(key);
        int rows = (int) s[0];
        int cols = (int) s[1];
        double[][] out = new double[rows][cols];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(flat, r * cols, out[r], 0, cols);
        }
        return out;
    }
}
