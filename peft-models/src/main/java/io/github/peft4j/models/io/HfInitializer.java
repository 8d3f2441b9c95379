package io.github.peft4j.models.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.initializer.Initializer;
import io.github.peft4j.models.HfModel;
import io.github.peft4j.models.config.ModelConfig;
import io.github.peft4j.models.nn.HfLayerNorm;
import io.github.peft4j.models.nn.RmsNorm;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

/**
 * transformers' {@code _init_weights} for one parameter: normal(0, {@code initializer_range}) for
 * linear and embedding weights, zeros for biases, ones for norm scales, and GPT-2's
 * {@code c_proj} weights scaled by {@code 1/sqrt(2 * n_layer)}. Values are drawn in Java from a
 * generator seeded by the model seed and the parameter's name, so a model is the same whatever the
 * engine, thread or order of initialisation.
 *
 * <pre>{@code
 * parameter.setInitializer(HfInitializer.of(model, "lm_head.weight", lmHeadBlock, 42));
 * }</pre>
 */
public final class HfInitializer implements Initializer {

    private enum Kind { NORMAL, ZEROS, ONES }

    private final Kind kind;
    private final double std;
    private final long seed;

    private HfInitializer(Kind kind, double std, long seed) {
        this.kind = kind;
        this.std = std;
        this.seed = seed;
    }

    /**
     * @param model the root block
     * @param key the parameter's full name ({@code transformer.h.0.attn.c_proj.weight})
     * @param owner the block owning the parameter
     * @param modelSeed the seed of the whole model
     * @return the initialiser of that parameter
     */
    public static HfInitializer of(HfModel model, String key, Block owner, long modelSeed) {
        ModelConfig config = model.config();
        String name = key.substring(key.lastIndexOf('.') + 1);
        long seed = modelSeed ^ fnv1a(key);
        if (owner instanceof RmsNorm rms && rms.unitOffset()) {
            return new HfInitializer(Kind.ZEROS, 0, seed);     // Gemma scales by 1 + weight
        }
        if (owner instanceof HfLayerNorm || owner instanceof RmsNorm) {
            return new HfInitializer(name.equals("weight") ? Kind.ONES : Kind.ZEROS, 0, seed);
        }
        if (name.equals("bias")) {
            return new HfInitializer(Kind.ZEROS, 0, seed);
        }
        double std = config.initializerRange();
        if (config.modelType().equals("gpt2") && key.endsWith("c_proj.weight")) {
            std /= Math.sqrt(2.0 * config.numLayers());
        }
        return new HfInitializer(Kind.NORMAL, std, seed);
    }

    @Override
    public NDArray initialize(NDManager manager, Shape shape, DataType dataType) {
        switch (kind) {
            case ZEROS:
                return manager.zeros(shape, dataType);
            case ONES:
                return manager.ones(shape, dataType);
            default:
                float[] values = new float[Math.toIntExact(shape.size())];
                SplittableRandom random = new SplittableRandom(seed);
                for (int i = 0; i < values.length; i++) {
                    values[i] = (float) (random.nextGaussian() * std);
                }
                return manager.create(values, shape).toType(dataType, false);
        }
    }

    private static long fnv1a(String s) {
        long h = 0xcbf29ce484222325L;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        return h;
    }
}
