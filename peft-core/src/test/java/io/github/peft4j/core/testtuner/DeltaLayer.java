package io.github.peft4j.core.testtuner;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import io.github.peft4j.core.module.LinearLike;
import io.github.peft4j.core.tuner.AdditiveTunerLayer;
import io.github.peft4j.core.tuner.ForwardCall;
import io.github.peft4j.core.tuner.Tensors;
import java.util.HashMap;
import java.util.Map;

/** y = base(x) + scale * x A^T B^T, merged as W += scale * B A: only the per-adapter delta, the template does the rest. */
final class DeltaLayer extends AdditiveTunerLayer {

    private final LinearLike linear;
    private final Map<String, Double> scales = new HashMap<>();

    DeltaLayer(Block base) {
        super(base);
        this.linear = LinearLike.of(base).orElseThrow();
    }

    void addAdapter(String name, int r, double scale, NDManager manager) {
        long in = linear.inFeatures();
        long out = linear.outFeatures();
        NDArray a = manager.randomUniform(-0.5f, 0.5f, new Shape(r, in));
        NDArray b = manager.randomUniform(-0.5f, 0.5f, new Shape(out, r));
        addAdapterParameter(name, "delta_A." + name + ".weight", a);
        addAdapterParameter(name, "delta_B." + name + ".weight", b);
        scales.put(name, scale);
    }

    private NDArray deltaWeight(String name) {
        NDArray a = adapterArray(name, "delta_A." + name + ".weight");
        NDArray b = adapterArray(name, "delta_B." + name + ".weight");
        return b.matMul(a).mul(scales.get(name));
    }

    @Override
    protected NDArray delta(ForwardCall call, String adapter, NDArray resultSoFar) {
        NDArray a = call.value(adapterParameters(adapter).get("delta_A." + adapter + ".weight"));
        NDArray b = call.value(adapterParameters(adapter).get("delta_B." + adapter + ".weight"));
        NDArray down = call.input().matMul(a.transpose()).matMul(b.transpose());
        return down.mul(Tensors.scalar(down, scales.get(adapter)));
    }

    @Override
    public boolean canMerge() {
        return true;
    }

    @Override
    protected void mergeAdapter(String adapter) {
        try (NDArray delta = deltaWeight(adapter)) {
            linear.weight().getArray().addi(delta);
        }
    }

    @Override
    protected void unmergeAdapter(String adapter) {
        try (NDArray delta = deltaWeight(adapter)) {
            linear.weight().getArray().subi(delta);
        }
    }

    @Override
    public void deleteAdapter(String adapterName) {
        super.deleteAdapter(adapterName);
        scales.remove(adapterName);
    }
}
