package io.github.peft4j.train.testing;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.util.PairList;
import io.github.peft4j.core.hooks.BaseModelInfo;
import java.util.Optional;

/**
 * A tiny causal LM with Llama-like Hugging Face paths: {@code model.embed_tokens},
 * {@code model.layers.<i>.{prev_proj,mlp.up_proj,mlp.down_proj}}, {@code lm_head}. Each layer mixes
 * in the previous position ({@code prev_proj} of the hidden state shifted right by one), so the
 * logits at t depend on tokens up to t only. Forward takes (input_ids [B,T] INT64, attention_mask)
 * and returns logits [B,T,V].
 */
public final class TinyCausalLm extends AbstractBlock implements BaseModelInfo {

    private final Body body;
    private final Linear lmHead;

    private TinyCausalLm(int vocab, int hidden, int layers) {
        body = addChildBlock("model", new Body(vocab, hidden, layers));
        lmHead = addChildBlock("lm_head", Linear.builder().setUnits(vocab).optBias(false).build());
    }

    /**
     * @param manager the manager of the weights
     * @param vocab vocabulary size
     * @param hidden hidden size
     * @param layers number of layers
     * @param seed engine seed for the weights
     * @return an initialised model
     */
    public static TinyCausalLm create(NDManager manager, int vocab, int hidden, int layers, int seed) {
        Engine.getInstance().setRandomSeed(seed);
        TinyCausalLm m = new TinyCausalLm(vocab, hidden, layers);
        m.setInitializer(new NormalInitializer(0.2f), Parameter.Type.WEIGHT);
        m.initialize(manager, DataType.FLOAT32, new Shape(2, 3), new Shape(2, 3));
        return m;
    }

    @Override
    public String modelType() {
        return "tiny";
    }

    @Override
    public Optional<String> outputEmbeddingsPath() {
        return Optional.of("lm_head");
    }

    @Override
    public Optional<String> nameOrPath() {
        return Optional.of("test/tiny-causal-lm");
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> p) {
        NDList h = body.forward(ps, inputs, training, p);
        return lmHead.forward(ps, h, training, p);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        body.initialize(manager, dataType, inputShapes);
        Shape ids = inputShapes[0];
        lmHead.initialize(manager, dataType, new Shape(ids.get(0), ids.get(1), body.hidden));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), inputShapes[0].get(1), body.vocab)};
    }

    static final class Body extends AbstractBlock {
        final int vocab;
        final int hidden;
        private final EmbeddingTable table;
        private final Parameter embedTokens;
        private final SequentialBlock layers;

        Body(int vocab, int hidden, int n) {
            this.vocab = vocab;
            this.hidden = hidden;
            // a child holding only the weight, so its path is model.embed_tokens.weight as in HF
            table = addChildBlock("embed_tokens", new EmbeddingTable(vocab, hidden));
            embedTokens = table.weight;
            SequentialBlock seq = new SequentialBlock();
            for (int i = 0; i < n; i++) {
                seq.add(new Layer(hidden));
            }
            layers = addChildBlock("layers", seq);
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> p) {
            NDArray ids = in.get(0);
            NDArray w = ps.getValue(embedTokens, ids.getDevice(), training);
            NDArray h = ids.getNDArrayInternal().embedding(ids, w, SparseFormat.DENSE).singletonOrThrow();
            return layers.forward(ps, new NDList(h), training, p);
        }

        @Override
        protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
            Shape ids = inputShapes[0];
            table.initialize(manager, dataType, ids);
            layers.initialize(manager, dataType, new Shape(ids.get(0), ids.get(1), hidden));
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return new Shape[] {new Shape(inputShapes[0].get(0), inputShapes[0].get(1), hidden)};
        }
    }

    static final class EmbeddingTable extends AbstractBlock {
        final Parameter weight;
        private final int vocab;
        private final int hidden;

        EmbeddingTable(int vocab, int hidden) {
            this.vocab = vocab;
            this.hidden = hidden;
            weight = addParameter(Parameter.builder().setName("weight").setType(Parameter.Type.WEIGHT)
                    .optShape(new Shape(vocab, hidden)).build());
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> p) {
            throw new UnsupportedOperationException("used through the body");
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return new Shape[] {new Shape(vocab, hidden)};
        }
    }

    static final class Layer extends AbstractBlock {
        private final Block prevProj;
        private final Mlp mlp;

        Layer(int hidden) {
            prevProj = addChildBlock("prev_proj", Linear.builder().setUnits(hidden).optBias(true).build());
            mlp = addChildBlock("mlp", new Mlp(hidden));
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> p) {
            NDArray h = in.singletonOrThrow();
            long t = h.getShape().get(1);
            NDArray zeros = h.zerosLike().get(":, 0:1, :");
            NDArray previous = t > 1 ? zeros.concat(h.get(":, 0:" + (t - 1) + ", :"), 1) : zeros;
            NDArray mixed = h.add(prevProj.forward(ps, new NDList(previous), training, p).singletonOrThrow().tanh());
            NDArray out = mixed.add(mlp.forward(ps, new NDList(mixed), training, p).singletonOrThrow());
            return new NDList(out);
        }

        @Override
        protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
            prevProj.initialize(manager, dataType, inputShapes);
            mlp.initialize(manager, dataType, inputShapes);
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return inputShapes;
        }
    }

    static final class Mlp extends AbstractBlock {
        private final Block upProj;
        private final Block downProj;
        private final int hidden;

        Mlp(int hidden) {
            this.hidden = hidden;
            upProj = addChildBlock("up_proj", Linear.builder().setUnits(2L * hidden).optBias(true).build());
            downProj = addChildBlock("down_proj", Linear.builder().setUnits(hidden).optBias(true).build());
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> p) {
            NDArray up = upProj.forward(ps, in, training, p).singletonOrThrow();
            return downProj.forward(ps, new NDList(Activation.relu(up)), training, p);
        }

        @Override
        protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
            upProj.initialize(manager, dataType, inputShapes);
            Shape s = inputShapes[0];
            downProj.initialize(manager, dataType, new Shape(s.get(0), s.get(1), 2L * hidden));
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return inputShapes;
        }
    }
}
