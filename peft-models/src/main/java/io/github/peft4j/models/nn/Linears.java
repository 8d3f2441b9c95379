package io.github.peft4j.models.nn;

import ai.djl.nn.core.Linear;

/**
 * DJL {@link Linear} layers as {@code torch.nn.Linear(in, out, bias)}: weight [out, in].
 *
 * <pre>{@code
 * Linear qProj = Linears.of(heads * headDim, config.qkvBias());
 * }</pre>
 */
public final class Linears {

    private Linears() {}

    /**
     * @param outFeatures the output size
     * @param bias whether the layer has a bias
     * @return a new, uninitialised layer
     */
    public static Linear of(int outFeatures, boolean bias) {
        return Linear.builder().setUnits(outFeatures).optBias(bias).build();
    }
}
