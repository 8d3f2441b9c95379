package io.github.peft4j.models.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import io.github.peft4j.models.config.LlamaConfig;

/**
 * Rotary position embeddings (RoPE) as in transformers' Llama: {@code cos} and {@code sin} of
 * {@code position * inv_freq}, the frequencies duplicated over both halves of a head, and
 * {@code x * cos + rotate_half(x) * sin} with {@code rotate_half(x) = [-x2, x1]}. The inverse
 * frequencies follow {@code rope_theta} and {@code rope_scaling}.
 */
final class RotaryEmbedding {

    private final float[] inverseFrequencies;

    RotaryEmbedding(LlamaConfig config) {
        this.inverseFrequencies = config.ropeScaling().inverseFrequencies(config.ropeTheta(), config.headDim());
    }

    /**
     * @param positions [B, T] position ids
     * @return {@code cos} and {@code sin}, each [B, 1, T, headDim]
     */
    NDArray[] cosSin(NDArray positions) {
        NDArray inv = positions.getManager().create(inverseFrequencies);
        NDArray angles = positions.toType(DataType.FLOAT32, false).expandDims(-1).mul(inv);
        NDArray both = angles.concat(angles, 2).expandDims(1);
        return new NDArray[] {both.cos(), both.sin()};
    }

    /**
     * @param x [B, heads, T, headDim]
     * @param cos [B, 1, T, headDim]
     * @param sin [B, 1, T, headDim]
     * @return x rotated by its positions
     */
    static NDArray apply(NDArray x, NDArray cos, NDArray sin) {
        NDList halves = x.split(2, 3);
        NDArray rotated = halves.get(1).neg().concat(halves.get(0), 3);
        return x.mul(cos).add(rotated.mul(sin));
    }
}
