package io.github.peft4j.core.testtuner;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.peft4j.core.module.LinearLike;
import io.github.peft4j.core.tuner.BaseTunerLayer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** y = base(x) + scale * x A^T B^T, merged as W += scale * B A. */
final class DeltaLayer extends BaseTunerLayer {

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
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        NDArray y = baseLayer().forward(ps, inputs, training, params).singletonOrThrow();
        for (String name : adaptersForForward()) {
            NDArray a = ps.getValue(adapterParameters(name).get("delta_A." + name + ".weight"), x.getDevice(), training);
            NDArray b = ps.getValue(adapterParameters(name).get("delta_B." + name + ".weight"), x.getDevice(), training);
            y = y.add(x.matMul(a.transpose()).matMul(b.transpose()).mul(scales.get(name)));
        }
        return new NDList(y);
    }

    @Override
    public boolean canMerge() {
        return true;
    }

    @Override
    public void merge(List<String> adapterNames) {
        for (String name : adapterNames) {
            if (mergedAdapters().contains(name)) {
                continue;
            }
            try (NDArray delta = deltaWeight(name)) {
                linear.weight().getArray().addi(delta);
            }
            markMerged(name);
        }
    }

    @Override
    public void unmerge() {
        for (String name : takeMergedForUnmerge()) {
            try (NDArray delta = deltaWeight(name)) {
                linear.weight().getArray().subi(delta);
            }
        }
    }

    @Override
    public void deleteAdapter(String adapterName) {
        super.deleteAdapter(adapterName);
        scales.remove(adapterName);
    }
}
