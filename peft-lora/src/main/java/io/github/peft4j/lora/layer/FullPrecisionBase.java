package io.github.peft4j.lora.layer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import io.github.peft4j.core.module.LinearLike;
import io.github.peft4j.lora.init.InitLoraWeights;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A full-precision linear base (DJL {@code Linear}, GPT-2 {@code Conv1D}, any {@link LinearLike}):
 * merges change its weight parameter in place.
 *
 * <pre>{@code
 * LinearBase base = new FullPrecisionBase(LinearLike.of(block).orElseThrow());
 * }</pre>
 *
 * @param linear the base's weight view
 */
record FullPrecisionBase(LinearLike linear) implements LinearBase {

    @Override
    public long inFeatures() {
        return linear.inFeatures();
    }

    @Override
    public long outFeatures() {
        return linear.outFeatures();
    }

    @Override
    public Optional<Parameter> bias() {
        return linear.bias();
    }

    @Override
    public boolean fanInFanOut() {
        return linear.fanInFanOut();
    }

    @Override
    public boolean isQuantized() {
        return false;
    }

    @Override
    public DataType adapterDType() {
        return LoraLayer.adapterDTypeFor(weight().getArray().getDataType());
    }

    @Override
    public Parameter weight() {
        return linear.weight();
    }

    @Override
    public void checkAdapter(InitLoraWeights init, LoraSettings settings, Object layer) {}

    @Override
    public LinearBase changeWeight(LoraLinear owner, NDManager manager, Consumer<NDArray> change) {
        LoraLayer.changeScoped(weight().getArray(), change);
        return this;
    }
}
