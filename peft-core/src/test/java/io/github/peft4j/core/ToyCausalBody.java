package io.github.peft4j.core;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.peft4j.core.testmodels.EmbeddingTable;
import io.github.peft4j.core.testmodels.Module;
import io.github.peft4j.core.tuner.Tensors;

/**
 * The {@code model} of {@link ToyModels#causalLm}: {@code embed_tokens}, then decoder layers
 * ({@code layers.<i>.self_attn.{q,k,v,o}_proj}, single-head causal attention with q and v biased;
 * {@code layers.<i>.mlp.{up,down}_proj} with SiLU), each pre-normed by an RMSNorm without weight,
 * and a final RMSNorm. The projections are held in fields typed Block and in an array, the layers
 * in a SequentialBlock: the ways DJL blocks hold children.
 */
final class ToyCausalBody extends AbstractBlock {
    private final Block embed;
    private final SequentialBlock layers;
    private final int dim;

    ToyCausalBody(NDManager manager, int vocab, int dim, int n) {
        this.dim = dim;
        embed = addChildBlock("embed_tokens", new EmbeddingTable(manager, vocab, dim, DataType.FLOAT32));
        SequentialBlock seq = new SequentialBlock();
        for (int i = 0; i < n; i++) {
            seq.add(new DecoderLayer(dim));
        }
        layers = addChildBlock("layers", seq);
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> p) {
        return new NDList(rmsNorm(layers.forward(ps, embed.forward(ps, in, training, p), training, p).head()));
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        embed.initialize(manager, dataType, inputShapes);
        layers.initialize(manager, dataType, getOutputShapes(inputShapes));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0].add(dim)};
    }

    /** Llama's RMSNorm without its weight, so that activations stay of order one. */
    static NDArray rmsNorm(NDArray x) {
        return x.div(x.square().mean(new int[] {-1}, true).add(1e-6f).sqrt()); // no Number on the gradient path
    }

    static final class DecoderLayer extends Module {
        private final Attention selfAttn;
        private final Mlp mlp;

        DecoderLayer(int dim) {
            selfAttn = addChildBlock("self_attn", new Attention(dim));
            mlp = addChildBlock("mlp", new Mlp(dim));
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> p) {
            NDArray h = in.head();
            h = h.add(selfAttn.forward(ps, new NDList(rmsNorm(h)), training, p).head());
            return new NDList(h.add(mlp.forward(ps, new NDList(rmsNorm(h)), training, p).head()));
        }
    }

    /** Single-head causal self-attention; the projections are held in fields typed Block. */
    static final class Attention extends Module {
        private final Block qProj;
        private final Block kProj;
        private final Block vProj;
        private final Block oProj;
        private final int dim;

        Attention(int dim) {
            this.dim = dim;
            qProj = addChildBlock("q_proj", ToyModels.linear(dim, true));
            kProj = addChildBlock("k_proj", ToyModels.linear(dim, false));
            vProj = addChildBlock("v_proj", ToyModels.linear(dim, true));
            oProj = addChildBlock("o_proj", ToyModels.linear(dim, false));
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> p) {
            NDArray x = in.head();
            NDArray q = qProj.forward(ps, in, training, p).head();
            NDArray k = kProj.forward(ps, in, training, p).head();
            NDArray v = vProj.forward(ps, in, training, p).head();
            long t = x.getShape().get(1);
            NDArray r = x.getManager().arange((int) t);
            NDArray mask = r.expandDims(1).lt(r.expandDims(0)).toType(DataType.FLOAT32, false).mul(-1e9f);
            NDArray raw = q.matMul(k.transpose(0, 2, 1));
            NDArray scores = raw.div(Tensors.scalar(raw, Math.sqrt(dim))).add(mask);
            NDArray attended = scores.softmax(-1).matMul(v);
            return oProj.forward(ps, new NDList(attended), training, p);
        }
    }

    /** up_proj, SiLU, down_proj; the projections are held in an array. */
    static final class Mlp extends Module {
        private final Block[] proj = new Block[2];

        Mlp(int dim) {
            proj[0] = addChildBlock("up_proj", ToyModels.linear(2 * dim, false));
            proj[1] = addChildBlock("down_proj", ToyModels.linear(dim, false));
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> p) {
            NDArray up = proj[0].forward(ps, in, training, p).head();
            return proj[1].forward(ps, new NDList(Activation.swish(up, 1f)), training, p);
        }

        @Override
        protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
            proj[0].initialize(manager, dataType, inputShapes);
            Shape s = inputShapes[0];
            proj[1].initialize(manager, dataType, s.slice(0, s.dimension() - 1).add(proj[0].getOutputShapes(inputShapes)[0]
                    .get(s.dimension() - 1)));
        }
    }
}
