package io.github.peft4j.lora.layer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import io.github.peft4j.lora.init.InitLoraWeights;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The layer under a {@link LoraLinear}: a full-precision linear layer ({@link FullPrecisionBase})
 * or a quantized one ({@link QuantizedBase}, QLoRA). It answers what the adapters need to know about
 * the base and applies merges to its weight, so {@code LoraLinear} never asks which kind it wraps.
 *
 * <pre>{@code
 * LinearBase base = new FullPrecisionBase(LinearLike.of(block).orElseThrow());
 * base = base.changeWeight(layer, manager, w -> w.addi(delta)); // a quantized base may hand back a full-precision one
 * }</pre>
 */
sealed interface LinearBase permits FullPrecisionBase, QuantizedBase {

    /** @return the input size */
    long inFeatures();

    /** @return the output size */
    long outFeatures();

    /** @return the full-precision bias, if the layer has one */
    Optional<Parameter> bias();

    /** @return whether the weight is stored [in, out] */
    boolean fanInFanOut();

    /** @return whether the weight is stored quantized */
    boolean isQuantized();

    /** @return the dtype adapter tensors get */
    DataType adapterDType();

    /**
     * @return the full-precision weight parameter
     * @throws IllegalStateException for a quantized base, which has none
     */
    Parameter weight();

    /**
     * Refuses an adapter this base cannot carry (a quantized base: DoRA and weight-rewriting
     * initialisations, which need the full-precision weight).
     *
     * @param init the adapter's initialisation
     * @param settings its settings
     * @param layer the wrapped layer, for messages
     */
    void checkAdapter(InitLoraWeights init, LoraSettings settings, Object layer);

    /**
     * Applies an in-place change to the weight (a merge or an unmerge).
     *
     * @param owner the LoRA layer holding this base (a quantized base may replace its child)
     * @param manager the manager for temporaries and for a dequantized replacement
     * @param change the change, made in place on the weight in its stored layout
     * @return the base from now on: this one, or a full-precision base that replaced a quantized one
     */
    LinearBase changeWeight(LoraLinear owner, NDManager manager, Consumer<NDArray> change);
}
