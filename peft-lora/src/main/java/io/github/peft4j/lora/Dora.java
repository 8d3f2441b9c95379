package io.github.peft4j.lora;

import ai.djl.ndarray.NDArray;

/**
 * DoRA's weight-norm arithmetic (PEFT's {@code lora/dora.py}), in the base weight's stored layout.
 * The magnitude vector has one entry per output unit (per embedding dimension for embeddings); the
 * norm of each output unit's weights is taken over the other axis.
 */
final class Dora {

    private Dora() {}

    /**
     * @param weight a weight in its stored layout (W + ΔW, or W + scaling·BA)
     * @param outAxis the axis of {@code weight} that indexes output units (0 for [out, in], 1 for
     *     fan_in_fan_out [in, out] and for embeddings [num, dim])
     * @return the L2 norm of each output unit's weights, shape [out]
     */
    static NDArray norm(NDArray weight, int outAxis) {
        return weight.norm(new int[] {1 - outAxis});
    }

    /**
     * @param perOutput a vector with one entry per output unit
     * @param outAxis as in {@link #norm}
     * @return it shaped to broadcast against the stored weight
     */
    static NDArray alongOutputs(NDArray perOutput, int outAxis) {
        return outAxis == 0 ? perOutput.reshape(-1, 1) : perOutput.reshape(1, -1);
    }
}
