package io.github.peft4j.models.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import io.github.peft4j.models.config.RopeScaling;

/**
 * Rotary position embeddings (RoPE) as in transformers' Llama: {@code cos} and {@code sin} of
 * {@code position * inv_freq}, the frequencies duplicated over both halves of the rotated part, and
 * {@code x * cos + rotate_half(x) * sin} with {@code rotate_half(x) = [-x2, x1]}. The inverse
 * frequencies follow the base and {@code rope_scaling}; with {@code partial_rotary_factor} (Phi-3)
 * only the leading channels of each head rotate, the others pass through. Longrope (Phi-3 128k), as
 * transformers' {@code dynamic_rope_update}, switches to the long factors when the largest position
 * of a forward reaches {@code original_max_position_embeddings}, and scales cos and sin by its
 * attention factor.
 */
final class RotaryEmbedding {

    private final RopeScaling scaling;
    private final float[] inverseFrequencies;
    private final float[] longInverseFrequencies;

    /**
     * @param theta the base ({@code rope_theta}, Gemma 3's {@code rope_local_base_freq})
     * @param scaling the frequency scaling
     * @param rotaryDim the rotated channels of a head
     */
    RotaryEmbedding(double theta, RopeScaling scaling, int rotaryDim) {
        this.scaling = scaling;
        this.inverseFrequencies = scaling.inverseFrequencies(theta, rotaryDim, false);
        this.longInverseFrequencies = scaling.inverseFrequencies(theta, rotaryDim, true);
    }

    /**
     * @param positions [B, T] position ids
     * @return {@code cos} and {@code sin}, each [B, 1, T, rotaryDim]
     */
    NDArray[] cosSin(NDArray positions) {
        boolean longFactors = scaling.type().equals("longrope")
                && scaling.usesLongFactors(positions.max().getLong() + 1);
        NDArray inv = positions.getManager().create(longFactors ? longInverseFrequencies : inverseFrequencies);
        NDArray angles = positions.toType(DataType.FLOAT32, false).expandDims(-1).mul(inv);
        NDArray both = angles.concat(angles, 2).expandDims(1);
        NDArray cos = both.cos();
        NDArray sin = both.sin();
        float attention = (float) scaling.attentionFactor();
        if (attention != 1f) {
            // cos/sin carry no gradient, but keep the array-operand form of every forward
            NDArray factor = positions.getManager().create(attention);
            cos = cos.mul(factor);
            sin = sin.mul(factor);
        }
        return new NDArray[] {cos, sin};
    }

    /**
     * @param x [B, heads, T, headDim]
     * @param cos [B, 1, T, rotaryDim]
     * @param sin [B, 1, T, rotaryDim]
     * @return x rotated by its positions
     */
    static NDArray apply(NDArray x, NDArray cos, NDArray sin) {
        long rotaryDim = cos.getShape().get(3);
        long headDim = x.getShape().get(3);
        if (rotaryDim < headDim) {
            NDList parts = x.split(new long[] {rotaryDim}, 3);
            return apply(parts.get(0), cos, sin).concat(parts.get(1), 3);
        }
        NDList halves = x.split(2, 3);
        NDArray rotated = halves.get(1).neg().concat(halves.get(0), 3);
        return x.mul(cos).add(rotated.mul(sin));
    }
}
