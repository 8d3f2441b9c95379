package io.github.peft4j.core.testmodels;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.peft4j.core.hooks.BaseModelInfo;
import java.util.Optional;

/**
 * A tiny {@code BertForSequenceClassification} whose module paths are Hugging Face's:
 * {@code bert.embeddings.{word_embeddings,position_embeddings,LayerNorm}},
 * {@code bert.encoder.layer.<i>.attention.self.{query,key,value}},
 * {@code bert.encoder.layer.<i>.attention.output.{dense,LayerNorm}},
 * {@code bert.encoder.layer.<i>.intermediate.dense}, {@code bert.encoder.layer.<i>.output.{dense,LayerNorm}},
 * {@code bert.pooler.dense}, {@code classifier}. Input: int64 token ids [B, T]; output: logits [B, labels].
 * Linear layers are DJL {@code Linear} blocks held in fields typed {@link Block}; the layers sit in a
 * {@link SequentialBlock}, which drops {@code params} on the way down as real models may.
 *
 * <pre>{@code
 * TinyBert bert = TinyBert.create(manager, TinyBert.Dims.small(), 42);
 * NDArray logits = bert.forward(ps, new NDList(ids), false).head();
 * }</pre>
 */
public final class TinyBert extends Module implements BaseModelInfo {

    /**
     * @param vocab vocabulary size
     * @param hidden hidden size
     * @param layers number of layers
     * @param heads attention heads
     * @param intermediate feed-forward size
     * @param maxPositions longest sequence
     * @param labels classifier outputs
     */
    public record Dims(int vocab, int hidden, int layers, int heads, int intermediate, int maxPositions, int labels) {
        /** @return 16 tokens, hidden 16, 2 layers, 2 heads, FFN 32, 8 positions, 2 labels */
        public static Dims small() {
            return new Dims(16, 16, 2, 2, 32, 8, 2);
        }
    }

    private final Block bert;
    private final Block classifier;
    private final Dims dims;

    private TinyBert(NDManager manager, Dims dims) {
        this.dims = dims;
        bert = addChildBlock("bert", new BertModel(manager, dims));
        classifier = addChildBlock("classifier", linear(manager, dims.hidden(), dims.labels(), true));
    }

    /**
     * @param manager the manager for the weights
     * @param dims sizes
     * @param seed the engine seed, so weights are reproducible
     * @return the model
     */
    public static TinyBert create(NDManager manager, Dims dims, int seed) {
        Engine.getInstance().setRandomSeed(seed);
        return new TinyBert(manager, dims);
    }

    /** @return the sizes */
    public Dims dims() {
        return dims;
    }

    @Override
    public String modelType() {
        return "bert";
    }

    @Override
    public Optional<String> outputEmbeddingsPath() {
        return Optional.of("classifier");
    }

    @Override
    public Optional<String> nameOrPath() {
        return Optional.of("test/tiny-bert");
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> p) {
        NDList pooled = bert.forward(ps, in, training, p);
        return classifier.forward(ps, pooled, training, p);
    }

    static final class BertModel extends Module {
        private final Block embeddings;
        private final Block encoder;
        private final Block pooler;

        BertModel(NDManager manager, Dims dims) {
            embeddings = addChildBlock("embeddings", new Embeddings(manager, dims));
            encoder = addChildBlock("encoder", new Encoder(manager, dims));
            pooler = addChildBlock("pooler", new Pooler(manager, dims));
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> p) {
            NDList h = embeddings.forward(ps, in, training, p);
            h = encoder.forward(ps, h, training, p);
            return pooler.forward(ps, h, training, p);
        }
    }

    static final class Embeddings extends Module {
        private final Block wordEmbeddings;
        private final Block positionEmbeddings;
        private final Block layerNorm;

        Embeddings(NDManager manager, Dims dims) {
            wordEmbeddings = addChildBlock("word_embeddings", new Embedding(manager, dims.vocab(), dims.hidden()));
            positionEmbeddings =
                    addChildBlock("position_embeddings", new Embedding(manager, dims.maxPositions(), dims.hidden()));
            layerNorm = addChildBlock("LayerNorm", Norm.layerNorm(manager, dims.hidden()));
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> p) {
            NDArray ids = in.singletonOrThrow();
            NDArray positions = ids.getManager().arange(0, (int) ids.getShape().get(1), 1, DataType.INT64).expandDims(0);
            NDArray words = wordEmbeddings.forward(ps, in, training, p).singletonOrThrow();
            NDArray pos = positionEmbeddings.forward(ps, new NDList(positions), training, p).singletonOrThrow();
            return layerNorm.forward(ps, new NDList(words.add(pos)), training, p);
        }
    }

    static final class Encoder extends Module {
        private final Block layer;

        Encoder(NDManager manager, Dims dims) {
            SequentialBlock layers = new SequentialBlock();
            for (int i = 0; i < dims.layers(); i++) {
                layers.add(new Layer(manager, dims));
            }
            layer = addChildBlock("layer", layers);
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> p) {
            return layer.forward(ps, in, training, p);
        }
    }

    static final class Layer extends Module {
        private final Block attention;
        private final Block intermediate;
        private final Block output;

        Layer(NDManager manager, Dims dims) {
            attention = addChildBlock("attention", new AttentionBlock(manager, dims));
            intermediate = addChildBlock("intermediate", new Intermediate(manager, dims));
            output = addChildBlock("output", new ResidualOutput(manager, dims.intermediate(), dims.hidden()));
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> p) {
            NDArray a = attention.forward(ps, in, training, p).singletonOrThrow();
            NDArray i = intermediate.forward(ps, new NDList(a), training, p).singletonOrThrow();
            return output.forward(ps, new NDList(i, a), training, p);
        }
    }

    static final class AttentionBlock extends Module {
        private final Block self;
        private final Block output;

        AttentionBlock(NDManager manager, Dims dims) {
            self = addChildBlock("self", new SelfAttention(manager, dims));
            output = addChildBlock("output", new ResidualOutput(manager, dims.hidden(), dims.hidden()));
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> p) {
            NDArray x = in.singletonOrThrow();
            NDArray s = self.forward(ps, in, training, p).singletonOrThrow();
            return output.forward(ps, new NDList(s, x), training, p);
        }
    }

    static final class SelfAttention extends Module {
        private final Block query;
        private final Block key;
        private final Block value;
        private final int heads;

        SelfAttention(NDManager manager, Dims dims) {
            heads = dims.heads();
            query = addChildBlock("query", linear(manager, dims.hidden(), dims.hidden(), true));
            key = addChildBlock("key", linear(manager, dims.hidden(), dims.hidden(), true));
            value = addChildBlock("value", linear(manager, dims.hidden(), dims.hidden(), true));
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> p) {
            NDArray q = query.forward(ps, in, training, p).singletonOrThrow();
            NDArray k = key.forward(ps, in, training, p).singletonOrThrow();
            NDArray v = value.forward(ps, in, training, p).singletonOrThrow();
            return new NDList(Attention.attend(q, k, v, heads, false));
        }
    }

    /** BertSelfOutput / BertOutput: LayerNorm(dense(h) + residual); inputs (h, residual). */
    static final class ResidualOutput extends Module {
        private final Block dense;
        private final Block layerNorm;

        ResidualOutput(NDManager manager, int in, int hidden) {
            dense = addChildBlock("dense", linear(manager, in, hidden, true));
            layerNorm = addChildBlock("LayerNorm", Norm.layerNorm(manager, hidden));
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> p) {
            NDArray h = dense.forward(ps, new NDList(in.get(0)), training, p).singletonOrThrow();
            return layerNorm.forward(ps, new NDList(h.add(in.get(1))), training, p);
        }
    }

    static final class Intermediate extends Module {
        private final Block dense;

        Intermediate(NDManager manager, Dims dims) {
            dense = addChildBlock("dense", linear(manager, dims.hidden(), dims.intermediate(), true));
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> p) {
            return new NDList(Activation.gelu(dense.forward(ps, in, training, p).singletonOrThrow()));
        }
    }

    static final class Pooler extends Module {
        private final Block dense;

        Pooler(NDManager manager, Dims dims) {
            dense = addChildBlock("dense", linear(manager, dims.hidden(), dims.hidden(), true));
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> p) {
            NDArray first = in.singletonOrThrow().get(new NDIndex(":, 0, :"));
            return new NDList(dense.forward(ps, new NDList(first), training, p).singletonOrThrow().tanh());
        }
    }
}
