package io.github.peft4j.lora.layer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.core.module.BlockSurgery;
import io.github.peft4j.core.module.DequantizableLinear;
import io.github.peft4j.core.module.LinearLike;
import io.github.peft4j.lora.init.InitLoraWeights;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A quantized linear base (QLoRA): the base computes on its dequantized weight, the adapters in F32,
 * stored [out, in] as bitsandbytes stores it. A merge either requantizes the changed weight (lossy,
 * when the layer asks for it) or replaces the layer by a DJL {@code Linear} holding its dequantized
 * weight, so that merges are exact and the merged model is a plain one.
 *
 * <pre>{@code
 * LinearBase base = new QuantizedBase(block, (DequantizableLinear) block);
 * }</pre>
 *
 * @param block the quantized layer as a block
 * @param quantized the same layer
 */
record QuantizedBase(Block block, DequantizableLinear quantized) implements LinearBase {

    private static final Logger LOG = LoggerFactory.getLogger(QuantizedBase.class);

    @Override
    public long inFeatures() {
        return quantized.inFeatures();
    }

    @Override
    public long outFeatures() {
        return quantized.outFeatures();
    }

    @Override
    public Optional<Parameter> bias() {
        return quantized.bias();
    }

    @Override
    public boolean fanInFanOut() {
        return false;
    }

    @Override
    public boolean isQuantized() {
        return true;
    }

    @Override
    public DataType adapterDType() {
        return DataType.FLOAT32;
    }

    @Override
    public Parameter weight() {
        throw new IllegalStateException("the base layer is quantized and has no full-precision weight");
    }

    @Override
    public void checkAdapter(InitLoraWeights init, LoraSettings settings, Object layer) {
        if (init.mutatesBaseWeight() || settings.useDora()) {
            throw new PeftCompatibilityException("use_dora and init_lora_weights='" + init
                    + "' rewrite or read the full-precision base weight; they are not supported on a quantized base ("
                    + layer + ")");
        }
    }

    @Override
    public LinearBase changeWeight(LoraLinear owner, NDManager manager, Consumer<NDArray> change) {
        if (!quantized.requantizeOnMerge()) {
            return dequantize(owner, manager).changeWeight(owner, manager, change);
        }
        LOG.warn("Merge lora module to 4-bit/8-bit linear may get different generations due to rounding errors.");
        NDArray w;
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            w = quantized.dequantizedWeight(manager);   // a copy
            change.accept(w);
            NDScope.unregister(w);
        }
        try (w) {
            quantized.requantize(w);   // outside the scope: the new codes and scales must outlive it
        }
        return this;
    }

    /** Replaces the quantized layer by a DJL {@code Linear} with its dequantized weight (F32) and the same bias. */
    private LinearBase dequantize(LoraLinear owner, NDManager manager) {
        Optional<Parameter> bias = quantized.bias();
        Linear plain = Linear.builder().setUnits(quantized.outFeatures()).optBias(bias.isPresent()).build();
        NDArray weight;
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            weight = quantized.dequantizedWeight(manager);
            NDScope.unregister(weight);
        }
        plain.getParameters().get("weight").setArray(weight);
        bias.ifPresent(b -> plain.getParameters().get("bias").setArray(b.getArray()));
        plain.initialize(manager, DataType.FLOAT32, new Shape(quantized.inFeatures()));
        plain.freezeParameters(true);
        BlockSurgery.replace(owner, block, plain);
        if (block instanceof AutoCloseable closeable) {
            try {
                closeable.close();   // the codes and scales
            } catch (Exception e) {
                LOG.warn("could not release the quantized weight of {}", block, e);
            }
        }
        return new FullPrecisionBase(LinearLike.of(plain).orElseThrow());
    }
}
