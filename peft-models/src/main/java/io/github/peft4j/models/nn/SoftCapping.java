package io.github.peft4j.models.nn;

import ai.djl.ndarray.NDArray;
import io.github.peft4j.core.tuner.Tensors;

/**
 * Gemma 2's soft-capping: {@code cap * tanh(x / cap)}, which bounds attention scores and final
 * logits to {@code (-cap, cap)} smoothly.
 *
 * <pre>{@code
 * NDArray logits = SoftCapping.apply(raw, 30f);
 * }</pre>
 */
public final class SoftCapping {

    private SoftCapping() {}

    /**
     * @param x any array
     * @param cap the bound, > 0
     * @return {@code cap * tanh(x / cap)}
     */
    public static NDArray apply(NDArray x, float cap) {
        // engine-owned scalars: DJL's div/mul(Number) free theirs before backward reads them
        return x.div(Tensors.scalar(x, cap)).tanh().mul(Tensors.scalar(x, cap));
    }
}
