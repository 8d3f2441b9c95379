package io.github.peft4j.models.nn;

import ai.djl.ndarray.NDArray;

/**
 * Dropout as transformers applies it: only while training, and not at all for probability 0.
 *
 * <pre>{@code
 * NDArray h = Dropout.apply(x, config.residDropout(), training);
 * }</pre>
 */
public final class Dropout {

    private Dropout() {}

    /**
     * @param x input
     * @param probability the drop probability
     * @param training whether the model is training
     * @return {@code x} itself when not training or when {@code probability == 0}
     */
    public static NDArray apply(NDArray x, double probability, boolean training) {
        if (!training || probability <= 0) {
            return x;
        }
        return x.getNDArrayInternal().dropout(x, (float) probability, true).singletonOrThrow();
    }
}
