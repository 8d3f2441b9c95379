package io.github.peft4j.core.module;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import java.util.Optional;

/**
 * A linear layer whose weight is stored quantized (int8, NF4, ...) and has no full-precision
 * {@link Parameter}: it can only hand out a dequantized copy. Tuners treat it as a linear layer for
 * target matching ({@code all-linear} included) and compute on the copy, which lives only as long
 * as the manager it is created with. The bias, if any, stays a full-precision parameter.
 *
 * <pre>{@code
 * if (block instanceof DequantizableLinear q) {
 *     try (NDManager tmp = manager.newSubManager()) {
 *         NDArray w = q.dequantizedWeight(tmp);          // [out, in], F32
 *     }
 * }
 * }</pre>
 */
public interface DequantizableLinear {

    /** @return the input size */
    long inFeatures();

    /** @return the output size */
    long outFeatures();

    /** @return the full-precision bias, if the layer has one */
    Optional<Parameter> bias();

    /**
     * @param manager the manager the copy attaches to
     * @return the weight, dequantized, [out, in] in F32
     */
    NDArray dequantizedWeight(NDManager manager);

    /**
     * Replaces the stored weight by the quantization of {@code weight} (a merge that keeps the
     * layer quantized); rounding makes this lossy.
     *
     * @param weight the new full-precision weight [out, in]
     */
    void requantize(NDArray weight);

    /**
     * @return whether a merge into this layer should requantize ({@link #requantize}) rather than
     *     replace the layer by a full-precision one
     */
    default boolean requantizeOnMerge() {
        return false;
    }
}
