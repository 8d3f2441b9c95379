package io.github.peft4j.train.testing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.norm.Dropout;
import io.github.peft4j.core.module.LinearLike;
import io.github.peft4j.core.tuner.AdditiveTunerLayer;
import io.github.peft4j.core.tuner.ForwardCall;
import io.github.peft4j.core.tuner.Tensors;
import java.util.HashMap;
import java.util.Map;

/** y = base(x) + scale * dropout(x) A^T B^T with A random and B zero, as LoRA. */
final class LowRankLayer extends AdditiveTunerLayer {

    private final LinearLike linear;
    private final Map<String, double[]> settings = new HashMap<>();

    LowRankLayer(Block base) {
        super(base);
        this.linear = LinearLike.of(base).orElseThrow();
    }

    void addAdapter(String name, LowRankConfig c, NDManager manager) {
        long in = linear.inFeatures();
        long out = linear.outFeatures();
        float bound = (float) (1 / Math.sqrt(in));
        addAdapterParameter(name, "lowrank_A." + name + ".weight", manager.randomUniform(-bound, bound, new Shape(c.r(), in)));
        addAdapterParameter(name, "lowrank_B." + name + ".weight", manager.zeros(new Shape(out, c.r())));
        settings.put(name, new double[] {c.scale(), c.dropout()});
    }

    @Override
    protected NDArray delta(ForwardCall call, String name, NDArray resultSoFar) {
        NDArray x = call.input();
        NDArray a = call.value(adapterParameters(name).get("lowrank_A." + name + ".weight"));
        NDArray b = call.value(adapterParameters(name).get("lowrank_B." + name + ".weight"));
        double[] s = settings.get(name);
        NDArray dropped = s[1] > 0 ? Dropout.dropout(x, (float) s[1], call.training()).singletonOrThrow() : x;
        NDArray up = dropped.matMul(a.transpose()).matMul(b.transpose());
        return up.mul(Tensors.scalar(up, s[0])); // engine-owned scalar
    }

    @Override
    public void deleteAdapter(String adapterName) {
        super.deleteAdapter(adapterName);
        settings.remove(adapterName);
    }
}
