package io.github.peft4j.models.nn;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.peft4j.core.hooks.ForwardContext;
import io.github.peft4j.core.hooks.PrefixKeyValues;
import io.github.peft4j.core.tuner.NoGrad;
import java.util.ArrayList;
import java.util.List;

/**
 * A model's stack of decoder layers as one forward runs it: each layer in turn, or, when a
 * {@link GradientCheckpointing} is active for a training forward, each layer without a graph, its
 * input kept for the recomputation {@link GradientCheckpointing#backward} runs later. A model's
 * layer loop reads the same either way.
 *
 * <pre>{@code
 * CheckpointedLayers stack = CheckpointedLayers.of(params, training);
 * for (int i = 0; i < layers.size(); i++) {
 *     hidden = stack.forward(layers.get(i), ps, new NDList(hidden, bias), training, params);
 * }
 * hidden = stack.output(hidden);
 * }</pre>
 */
// NDScope and NoGrad are held for their effect on the ops inside the block
@SuppressWarnings("try")
public final class CheckpointedLayers {

    private static final CheckpointedLayers PLAIN = new CheckpointedLayers(null, null);

    /** One layer's first pass: what its recomputation needs. */
    private record Pass(Block layer, NDList inputs, int seed) {}

    private final GradientCheckpointing owner;
    private final PrefixKeyValues prefixes;
    private final PrefixKeyValues prefixLeaves;
    private final List<Pass> passes = new ArrayList<>();
    private ParameterStore ps;
    private PairList<String, Object> layerParams;
    private NDArray embedded;
    private NDArray output;

    private CheckpointedLayers(GradientCheckpointing owner, PrefixKeyValues prefixes) {
        this.owner = owner;
        this.prefixes = prefixes;
        this.prefixLeaves = prefixes == null ? null
                : new PrefixKeyValues(leavesOf(prefixes.keys()), leavesOf(prefixes.values()));
    }

    /**
     * @param params the {@code params} of the model's forward
     * @param training whether this is a training forward
     * @return a checkpointing stack when a {@link GradientCheckpointing} is active, this is a
     *     training forward and autograd is recording; otherwise one that runs layers as they are
     */
    public static CheckpointedLayers of(PairList<String, Object> params, boolean training) {
        ForwardContext ctx = ForwardContext.current(params);
        GradientCheckpointing owner = ctx.get(GradientCheckpointing.KEY).orElse(null);
        if (owner == null || !training || !JniUtils.isGradMode()) {
            return PLAIN;
        }
        return new CheckpointedLayers(owner, ctx.get(PrefixKeyValues.KEY).orElse(null));
    }

    /**
     * @param layer the layer
     * @param ps the parameter store
     * @param inputs the layer's inputs, the hidden states first
     * @param training whether this is a training forward
     * @param params the forward's {@code params}
     * @return the layer's output hidden states
     */
    public NDArray forward(Block layer, ParameterStore ps, NDList inputs, boolean training,
            PairList<String, Object> params) {
        if (owner == null) {
            return layer.forward(ps, inputs, training, params).head();
        }
        NDArray hidden = inputs.head();
        if (passes.isEmpty()) {
            embedded = hidden;
            this.ps = ps;
            // per-layer prefixes share one graph (the prefix encoder's), which backward may walk only
            // once: the layers read detached leaves, whose gradients go through that graph at the end
            layerParams = prefixes == null ? params
                    : ForwardContext.current(params).with(PrefixKeyValues.KEY, prefixLeaves).addTo(params);
        }
        NDList kept = new NDList(hidden.stopGradient()).addAll(inputs.subNDList(1));
        int seed = seedDropout(hidden);
        passes.add(new Pass(layer, kept, seed));
        try (NoGrad off = NoGrad.enter(hidden.getManager().getEngine())) {
            return layer.forward(ps, kept, training, layerParams).head();
        }
    }

    /**
     * @param hidden the last layer's output
     * @return what the rest of the model reads: {@code hidden} itself, or, when checkpointing, the
     *     same values as a leaf whose gradient the checkpointed backward starts from
     */
    public NDArray output(NDArray hidden) {
        if (owner == null || passes.isEmpty()) {
            return hidden;
        }
        hidden.setRequiresGradient(true);
        output = hidden;
        owner.register(this);
        return hidden;
    }

    void backward(GradientCollector gc, boolean verify) {
        NDArray gradient = gradientOf(output);
        if (gradient == null) {
            return; // the loss did not read this forward (a reference pass, say): nothing to do
        }
        for (int i = passes.size() - 1; i >= 0; i--) {
            Pass pass = passes.get(i);
            NDArray stored = i == passes.size() - 1 ? output : passes.get(i + 1).inputs().head();
            try (NDScope scope = new NDScope()) {
                NDArray input = pass.inputs().head();
                input.setRequiresGradient(true);
                reseed(input, pass.seed());
                NDArray recomputed = pass.layer().forward(ps, pass.inputs(), true, layerParams).head();
                check(recomputed, stored, i, verify);
                gc.backward(recomputed.mul(gradient).sum());
                gradient = input.getGradient();
                NDScope.unregister(gradient);
            }
        }
        // Whether the embeddings have a graph (virtual tokens, a trained embedding) cannot be asked:
        // DJL's requires-grad query answers false for any non-leaf. A zero leaf added to the
        // surrogate gives backward a graph either way; its own gradient is never read.
        NDArray anchor = embedded.getManager().zeros(new Shape(), embedded.getDataType());
        anchor.setRequiresGradient(true);
        NDArray surrogate = embedded.mul(gradient).sum().add(anchor);
        if (prefixes != null) {
            surrogate = addPrefixShare(surrogate, prefixes.keys(), prefixLeaves.keys());
            surrogate = addPrefixShare(surrogate, prefixes.values(), prefixLeaves.values());
        }
        gc.backward(surrogate);
    }

    /** @return {@code surrogate + sum(p · leaf.grad)} over the prefixes the layers read */
    private static NDArray addPrefixShare(NDArray surrogate, List<NDArray> originals, List<NDArray> leaves) {
        for (int i = 0; i < originals.size(); i++) {
            NDArray g = gradientOf(leaves.get(i));
            if (g != null) {
                surrogate = surrogate.add(originals.get(i).mul(g).sum());
            }
        }
        return surrogate;
    }

    private static List<NDArray> leavesOf(List<NDArray> arrays) {
        List<NDArray> leaves = new ArrayList<>(arrays.size());
        for (NDArray a : arrays) {
            NDArray leaf = a.stopGradient();
            leaf.setRequiresGradient(true);
            leaves.add(leaf);
        }
        return leaves;
    }

    private void check(NDArray recomputed, NDArray stored, int layer, boolean verify) {
        Shape shape = recomputed.getShape();
        if (!shape.equals(stored.getShape()) || recomputed.getDataType() != stored.getDataType()) {
            throw new IllegalStateException("gradient checkpointing: layer " + layer + " of " + passes.size()
                    + " recomputed a " + recomputed.getDataType() + " " + shape + " output, its first pass gave "
                    + stored.getDataType() + " " + stored.getShape());
        }
        if (verify && !recomputed.stopGradient().eq(stored).all().getBoolean()) {
            throw new IllegalStateException("gradient checkpointing: layer " + layer + " of " + passes.size()
                    + " recomputed different values than its first pass (an unseeded random draw or a"
                    + " nondeterministic kernel); its gradients would be wrong");
        }
    }

    /**
     * Seeds the engine's generator with a draw from it, so the layer's dropout masks can be drawn
     * again for its recomputation.
     */
    private static int seedDropout(NDArray like) {
        int seed = like.getManager().randomInteger(Integer.MIN_VALUE, Integer.MAX_VALUE, new Shape(), DataType.INT32)
                .getInt();
        reseed(like, seed);
        return seed;
    }

    private static void reseed(NDArray like, int seed) {
        if (like instanceof PtNDArray) {
            // torch's generator alone: Engine.setRandomSeed also reseeds DJL's Java-side RandomUtils
            JniUtils.setSeed(seed);
        } else {
            like.getManager().getEngine().setRandomSeed(seed);
        }
    }

    /** @return the gradient back-propagated into the leaf, or null when backward never reached it */
    private static NDArray gradientOf(NDArray leaf) {
        if (leaf instanceof PtNDArray pt) {
            return JniUtils.getGradient(pt);
        }
        return leaf.getGradient();
    }
}
