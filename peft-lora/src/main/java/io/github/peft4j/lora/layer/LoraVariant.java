package io.github.peft4j.lora.layer;

import ai.djl.ndarray.NDArray;
import io.github.peft4j.core.tuner.ForwardCall;

/**
 * How one adapter of a {@link LoraLayer} computes, PEFT's {@code LoraVariant}
 * ({@code tuners/lora/variants.py}): plain LoRA or DoRA, chosen once when the adapter is added, so
 * the layers hold no {@code use_dora} branches. One instance belongs to one adapter of one layer.
 *
 * <pre>{@code
 * LoraVariant v = settings.useDora() ? new DoraLinearVariant(layer, "default") : new PlainLora(layer, "default");
 * v.init();                                  // DoRA adds its magnitude vector here
 * NDArray y = base.add(v.delta(call, base));
 * }</pre>
 */
sealed interface LoraVariant permits PlainLora, DoraVariant {

    /** PEFT's {@code LoraVariant.init}: adds the variant's own tensors once A and B exist. */
    void init();

    /**
     * PEFT's {@code LoraVariant.forward}, as the term added to the output.
     *
     * @param call the forward call
     * @param resultSoFar the base output plus the terms of the adapters applied before this one
     * @return the term to add
     */
    NDArray delta(ForwardCall call, NDArray resultSoFar);

    /**
     * Folds the adapter into a base weight, in place.
     *
     * @param weight the base weight in its stored layout (a dequantized copy for a quantized base)
     */
    void merge(NDArray weight);

    /**
     * Takes the adapter back out of a base weight it was merged into, in place.
     *
     * @param weight the base weight in its stored layout
     */
    void unmerge(NDArray weight);

    /** Refuses a mixed batch when the variant cannot run per row; plain LoRA can. */
    default void checkMixedBatch() {}

    /** Releases what the variant caches (DoRA's weight norm while merged). */
    default void close() {}
}
