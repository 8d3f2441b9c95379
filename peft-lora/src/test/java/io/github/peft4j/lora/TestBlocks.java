package io.github.peft4j.lora;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.peft4j.core.hooks.BaseModelInfo;
import io.github.peft4j.core.module.EmbeddingLike;
import io.github.peft4j.core.module.LinearLike;
import java.util.Optional;

/**
 * Small DJL block trees whose module paths are Hugging Face's, for LoRA tests: a tiny Llama-shaped
 * causal LM ({@code model.embed_tokens}, {@code model.layers.<i>.self_attn.{q,k,v,o}_proj},
 * {@code model.layers.<i>.mlp.{up,down}_proj}, {@code lm_head}), GPT-2's {@code Conv1D} ([in, out]
 * weight) and an embedding table with a {@code weight} parameter.
 */
final class TestBlocks {

    private TestBlocks() {}

    static Linear linear(int units, boolean bias) {
        return Linear.builder().setUnits(units).optBias(bias).build();
    }

    /** A composite block with named children and no forward of its own. */
    abstract static class Composite extends AbstractBlock {
        @Override
        protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
            throw new UnsupportedOperationException("initialise children explicitly");
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return inputShapes;
        }
    }

    /** GPT-2's Conv1D: y = x·W + b with W stored [in, out]. */
    static final class Conv1D extends AbstractBlock implements LinearLike {
        private final Parameter weight;
        private final Parameter bias;

        Conv1D(NDManager manager, int in, int out, DataType type) {
            weight = addParameter(Parameter.builder().setName("weight").setType(Parameter.Type.WEIGHT)
                    .optArray(manager.randomNormal(0f, 0.5f, new Shape(in, out), type)).build());
            bias = addParameter(Parameter.builder().setName("bias").setType(Parameter.Type.BIAS)
                    .optArray(manager.randomNormal(0f, 0.5f, new Shape(out), type)).build());
        }

        @Override
        public Parameter weight() {
            return weight;
        }

        @Override
        public Optional<Parameter> bias() {
            return Optional.of(bias);
        }

        @Override
        public boolean fanInFanOut() {
            return true;
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> p) {
            NDArray x = in.head();
            NDArray w = ps.getValue(weight, x.getDevice(), training);
            NDArray b = ps.getValue(bias, x.getDevice(), training);
            return new NDList(x.matMul(w).add(b));
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return new Shape[] {inputShapes[0].slice(0, inputShapes[0].dimension() - 1)
                    .add(weight.getArray().getShape().get(1))};
        }
    }

    /** An embedding table named like torch's: parameter {@code weight} [num, dim]. */
    static final class Embed extends AbstractBlock implements EmbeddingLike {
        private final Parameter weight;

        Embed(NDManager manager, int num, int dim) {
            this(manager, num, dim, DataType.FLOAT32);
        }

        Embed(NDManager manager, int num, int dim, DataType type) {
            weight = addParameter(Parameter.builder().setName("weight").setType(Parameter.Type.WEIGHT)
                    .optArray(manager.randomNormal(0f, 1f, new Shape(num, dim), type)).build());
        }

        @Override
        public Parameter weight() {
            return weight;
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> p) {
            NDArray ids = in.head();
            NDArray w = ps.getValue(weight, ids.getDevice(), training);
            return ids.getNDArrayInternal().embedding(ids, w, SparseFormat.DENSE);
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return new Shape[] {inputShapes[0].add(weight.getArray().getShape().get(1))};
        }
    }

    /** Llama's RMSNorm without its weight, so that activations stay of order one. */
    static NDArray rmsNorm(NDArray x) {
        return x.div(x.square().mean(new int[] {-1}, true).add(1e-6f).sqrt()); // no Number on the gradient path
    }

    /** A tiny Llama-shaped causal LM: ids [batch, seq] to logits [batch, seq, vocab]. */
    static final class TinyLlama extends AbstractBlock implements BaseModelInfo {
        final Body body;
        final Block lmHead;
        private final int vocab;

        TinyLlama(NDManager manager, int vocab, int dim, int layers, int seed) {
            Engine.getInstance().setRandomSeed(seed);
            this.vocab = vocab;
            body = addChildBlock("model", new Body(manager, vocab, dim, layers));
            lmHead = addChildBlock("lm_head", linear(vocab, false));
            initialize(manager, DataType.FLOAT32, new Shape(2, 3));
        }

        @Override
        public String modelType() {
            return "llama";
        }

        @Override
        public Optional<String> outputEmbeddingsPath() {
            return Optional.of("lm_head");
        }

        @Override
        public Optional<String> nameOrPath() {
            return Optional.of("test/tiny-llama");
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> p) {
            return lmHead.forward(ps, body.forward(ps, in, training, p), training, p);
        }

        @Override
        protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
            body.initialize(manager, dataType, inputShapes);
            lmHead.initialize(manager, dataType, body.getOutputShapes(inputShapes));
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return new Shape[] {inputShapes[0].add(vocab)};
        }
    }

    static final class Body extends AbstractBlock {
        final Block embed;
        final SequentialBlock layers;
        private final int dim;

        Body(NDManager manager, int vocab, int dim, int n) {
            this.dim = dim;
            embed = addChildBlock("embed_tokens", new Embed(manager, vocab, dim));
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
    }

    static final class DecoderLayer extends AbstractBlock {
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

        @Override
        protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
            selfAttn.initialize(manager, dataType, inputShapes);
            mlp.initialize(manager, dataType, inputShapes);
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return inputShapes;
        }
    }

    /** Single-head causal self-attention; the projections are held in fields typed Block. */
    static final class Attention extends AbstractBlock {
        private final Block qProj;
        private final Block kProj;
        private final Block vProj;
        private final Block oProj;
        private final int dim;

        Attention(int dim) {
            this.dim = dim;
            qProj = addChildBlock("q_proj", linear(dim, true));
            kProj = addChildBlock("k_proj", linear(dim, false));
            vProj = addChildBlock("v_proj", linear(dim, true));
            oProj = addChildBlock("o_proj", linear(dim, false));
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
            NDArray scores = raw.div(io.github.peft4j.core.tuner.Tensors.scalar(raw, Math.sqrt(dim))).add(mask);
            NDArray attended = scores.softmax(-1).matMul(v);
            return oProj.forward(ps, new NDList(attended), training, p);
        }

        @Override
        protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
            for (Block b : new Block[] {qProj, kProj, vProj, oProj}) {
                b.initialize(manager, dataType, inputShapes);
            }
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return inputShapes;
        }
    }

    /** up_proj, SiLU, down_proj; the projections are held in an array. */
    static final class Mlp extends AbstractBlock {
        private final Block[] proj = new Block[2];

        Mlp(int dim) {
            proj[0] = addChildBlock("up_proj", linear(2 * dim, false));
            proj[1] = addChildBlock("down_proj", linear(dim, false));
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

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return inputShapes;
        }
    }

    /** A container of named children, for trees that are only saved, never run. */
    static final class Node extends Composite {
        <B extends Block> B add(String name, B child) {
            return addChildBlock(name, child);
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> p) {
            throw new UnsupportedOperationException("skeleton");
        }
    }

    /**
     * A root holding one layer as child {@code layer}, with a forward, for single-layer tests.
     */
    static final class Single extends AbstractBlock {
        final Block layer;

        Single(Block layer) {
            this.layer = addChildBlock("layer", layer);
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> p) {
            return layer.forward(ps, in, training, p);
        }

        @Override
        protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
            layer.initialize(manager, dataType, inputShapes);
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return layer.getOutputShapes(inputShapes);
        }
    }
}
