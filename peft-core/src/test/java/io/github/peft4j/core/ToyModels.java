package io.github.peft4j.core;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.peft4j.core.hooks.BaseModelInfo;
import io.github.peft4j.core.testmodels.Module;
import java.util.Optional;

/**
 * Small Llama-shaped block trees whose module paths are those of Hugging Face Llama:
 * {@code model.layers.<i>.self_attn.{q,v}_proj}, {@code model.layers.<i>.mlp.down_proj},
 * {@code lm_head}. The attention holds its projections in final fields, the MLP in an array, the
 * layers sit in a SequentialBlock, so surgery meets all the ways DJL blocks hold children.
 *
 * <pre>{@code
 * ToyModels.ToyModel toy = ToyModels.llamaLike(manager, 8, 2, 11);     // float inputs [B, T, 8]
 * ToyModels.ToyModel lm = ToyModels.causalLm(manager, 11, 8, 2, 3);    // ids [B, T] to logits [B, T, 11]
 * }</pre>
 */
public final class ToyModels {

    private ToyModels() {}

    /**
     * @param manager the manager for the weights
     * @param dim hidden size
     * @param layers number of layers
     * @param seed the engine seed, so weights are reproducible
     * @return an initialised model taking [batch, seq, dim] inputs and returning [batch, seq, dim]
     */
    public static ToyModel llamaLike(NDManager manager, int dim, int layers, int seed) {
        Engine.getInstance().setRandomSeed(seed);
        ToyModel model = new ToyModel(new Body(dim, layers), linear(dim, false), "toy/llama-like");
        model.initialize(manager, DataType.FLOAT32, new Shape(2, 3, dim));
        return model;
    }

    /**
     * A causal LM on token ids: {@code model.embed_tokens} (an {@link io.github.peft4j.core.testmodels.EmbeddingTable}),
     * {@code model.layers.<i>.self_attn.{q,k,v,o}_proj} (q and v with bias), {@code model.layers.<i>.mlp.{up,down}_proj},
     * {@code lm_head}; see {@link ToyCausalBody}.
     *
     * @param manager the manager for the weights
     * @param vocab vocabulary size
     * @param dim hidden size
     * @param layers number of layers
     * @param seed the engine seed, so weights are reproducible
     * @return an initialised model taking int64 ids [batch, seq] and returning logits [batch, seq, vocab]
     */
    public static ToyModel causalLm(NDManager manager, int vocab, int dim, int layers, int seed) {
        Engine.getInstance().setRandomSeed(seed);
        ToyModel model = new ToyModel(new ToyCausalBody(manager, vocab, dim, layers), linear(vocab, false), "test/tiny-llama");
        model.initialize(manager, DataType.FLOAT32, new Shape(2, 3));
        return model;
    }

    /**
     * @param units output size
     * @param bias whether the layer has a bias
     * @return an uninitialised DJL {@link Linear}
     */
    public static Linear linear(int units, boolean bias) {
        return Linear.builder().setUnits(units).optBias(bias).build();
    }

    /** The root: {@code model} then {@code lm_head}. */
    public static final class ToyModel extends AbstractBlock implements BaseModelInfo {
        private final Block body;
        private final Block lmHead;
        private final String nameOrPath;

        ToyModel(Block body, Block lmHead, String nameOrPath) {
            this.body = addChildBlock("model", body);
            this.lmHead = addChildBlock("lm_head", lmHead);
            this.nameOrPath = nameOrPath;
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
            return Optional.of(nameOrPath);
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
            return lmHead.getOutputShapes(body.getOutputShapes(inputShapes));
        }
    }

    static final class Body extends Module {
        private final SequentialBlock layers;

        Body(int dim, int n) {
            SequentialBlock seq = new SequentialBlock();
            for (int i = 0; i < n; i++) {
                seq.add(new Layer(dim));
            }
            layers = addChildBlock("layers", seq);
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> p) {
            return layers.forward(ps, in, training, p);
        }
    }

    static final class Layer extends Module {
        private final Attention selfAttn;
        private final Mlp mlp;

        Layer(int dim) {
            selfAttn = addChildBlock("self_attn", new Attention(dim));
            mlp = addChildBlock("mlp", new Mlp(dim));
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> p) {
            return mlp.forward(ps, selfAttn.forward(ps, in, training, p), training, p);
        }
    }

    /** Projections held in final fields typed {@code Block}. */
    static final class Attention extends Module {
        private final Block qProj;
        private final Block vProj;

        Attention(int dim) {
            qProj = addChildBlock("q_proj", ToyModels.linear(dim, true));
            vProj = addChildBlock("v_proj", ToyModels.linear(dim, true));
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> p) {
            NDArray x = in.singletonOrThrow();
            NDArray q = qProj.forward(ps, in, training, p).singletonOrThrow();
            NDArray v = vProj.forward(ps, in, training, p).singletonOrThrow();
            return new NDList(x.add(q.tanh().mul(v)));
        }
    }

    /** The projection held in an array field. */
    static final class Mlp extends Module {
        private final Block[] proj = new Block[1];

        Mlp(int dim) {
            proj[0] = addChildBlock("down_proj", ToyModels.linear(dim, false));
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> p) {
            NDArray x = in.singletonOrThrow();
            NDArray h = proj[0].forward(ps, new NDList(ai.djl.nn.Activation.relu(x)), training, p).singletonOrThrow();
            return new NDList(x.add(h));
        }
    }
}
