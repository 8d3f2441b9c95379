package io.github.peft4j.lora.layer;

import ai.djl.ndarray.NDArray;
import io.github.peft4j.core.tuner.ForwardCall;

/**
 * Plain LoRA (PEFT's layers without a variant): adds {@code B·A·dropout(x)·scaling} in forward and
 * {@code scaling·B·A} to the base weight when merged.
 *
 * <pre>{@code
 * LoraVariant v = new PlainLora(layer, "default");
 * v.merge(layer.baseWeight().getArray()); // W += scaling·B·A
 * }</pre>
 */
final class PlainLora implements LoraVariant {

    private final LoraLayer layer;
    private final String adapter;

    PlainLora(LoraLayer layer, String adapter) {
        this.layer = layer;
        this.adapter = adapter;
    }

    @Override
    public void init() {}

    @Override
    public NDArray delta(ForwardCall call, NDArray resultSoFar) {
        return layer.loraTerm(call, adapter);
    }

    @Override
    public void merge(NDArray weight) {
        weight.addi(layer.deltaWeightAs(adapter, weight.getDataType()));
    }

    @Override
    public void unmerge(NDArray weight) {
        weight.subi(layer.deltaWeightAs(adapter, weight.getDataType()));
    }
}
