package io.github.peft4j.spark;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.github.peft4j.core.hooks.ForwardContext;
import io.github.peft4j.core.tuner.Tensors;
import io.github.peft4j.models.nn.GradientCheckpointing;
import io.github.peft4j.train.data.Batch;
import io.github.peft4j.train.loss.TrainingLoss;
import io.github.peft4j.train.optim.Gradients;
import io.github.peft4j.train.optim.NamedParameter;
import java.util.List;

/**
 * One rank's part of an optimizer step: for each micro-batch, the gradient of the <em>sum</em> of
 * its shard's item losses (the mean times the item count), with the count and the loss sum. Sums,
 * not means, because only the sum over all ranks divided by the global count is the gradient of
 * the global batch, whatever the shards' sizes. The parameters' gradients are zero afterwards.
 */
// NDScope and the checkpointing scope are held for their effect on the ops inside the block
@SuppressWarnings("try")
final class ShardGradients {

    private ShardGradients() {}

    /**
     * @param block the model
     * @param loss the loss
     * @param params the trained tensors, in message order
     * @param shards this rank's slice of each micro-batch of the step (null where empty)
     * @param manager the manager to compute in
     * @param checkpointLayers whether to recompute the decoder layers in backward ({@link GradientCheckpointing})
     * @return the step's contribution of this rank
     */
    static GradientMessage compute(Block block, TrainingLoss loss, List<NamedParameter> params, List<Batch> shards,
            NDManager manager, boolean checkpointLayers) {
        int floats = (int) params.stream().mapToLong(p -> p.parameter().getArray().size()).sum();
        GradientMessage out = new GradientMessage(shards.size(), floats);
        Engine engine = manager.getEngine();
        ParameterStore ps = new ParameterStore(manager, false);
        List<ai.djl.nn.Parameter> raw = params.stream().map(NamedParameter::parameter).toList();
        for (int i = 0; i < shards.size(); i++) {
            Batch b = shards.get(i);
            if (b == null) {
                continue;
            }
            GradientCheckpointing checkpointing = GradientCheckpointing.when(checkpointLayers);
            try (NDManager bm = manager.newSubManager();
                    NDScope scope = new NDScope();
                    ForwardContext.Scope layers = checkpointing.activate();
                    GradientCollector gc = engine.newGradientCollector()) {
                NDList outputs = block.forward(ps, b.inputs(bm), true);
                NDArray mean = loss.compute(outputs, b.labels(bm));
                long n = loss.itemCount(b, outputs);
                NDArray sum = mean.mul(Tensors.scalar(mean, n)); // engine-owned scalar, see Tensors.scalar
                gc.backward(sum);
                checkpointing.backward(gc);
                out.set(i, n, sum.toType(DataType.FLOAT32, false).getFloat(), b.tokenCount(), gradients(params, floats));
            }
            Gradients.zero(raw);
        }
        return out;
    }

    private static float[] gradients(List<NamedParameter> params, int floats) {
        float[] out = new float[floats];
        int at = 0;
        for (NamedParameter p : params) {
            NDArray w = p.parameter().getArray();
            int size = (int) w.size();
            if (w.hasGradient()) {
                System.arraycopy(w.getGradient().toFloatArray(), 0, out, at, size);
            }
            at += size;
        }
        return out;
    }
}
