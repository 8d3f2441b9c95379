package io.github.peft4j.prefix;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.peft4j.core.hooks.ForwardContext;
import io.github.peft4j.core.hooks.PrefixKeyValues;
import io.github.peft4j.core.hooks.VirtualTokens;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A tiny decoder-only language model written with plain DJL ops that honours the prompt hooks the
 * way core documents them: {@link VirtualTokens} are prepended to the token embeddings,
 * {@link PrefixKeyValues} are prepended to every layer's keys and values and are visible to every
 * query, and an attention mask (second input, [batch, seq] of 1/0) gets leading ones for both.
 * Layers are residual causal self-attention with grouped-query heads and no positions:
 * {@code embed_tokens}, {@code layers.<i>.self_attn.{q,k,v,o}_proj}, {@code lm_head}.
 */
final class ToyPromptModel extends SizedPromptModel {

    final int vocab;

    final Weight embedTokens;
    final List<Attention> attention = new ArrayList<>();
    final Weight lmHead;

    /** A module holding one weight, [out, in] (or [vocab, hidden] for the embedding). */
    static final class Weight extends AbstractBlock {
        final Parameter weight;

        Weight(NDManager manager, float std, long... shape) {
            weight = addParameter(Parameter.builder().setName("weight").setType(Parameter.Type.WEIGHT)
                    .optArray(manager.randomNormal(0, std, new Shape(shape), DataType.FLOAT32)).build());
        }

        NDArray value(ParameterStore ps, NDArray like, boolean training) {
            return ps.getValue(weight, like.getDevice(), training);
        }

        /** x·Wᵀ, attached to x's manager. */
        NDArray apply(ParameterStore ps, NDArray x, boolean training) {
            return x.getNDArrayInternal().linear(x, value(ps, x, training), null).singletonOrThrow();
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> p) {
            return new NDList(apply(ps, in.singletonOrThrow(), training));
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return inputShapes;
        }
    }

    /** A module that only holds children under their Hugging Face names; the model runs them. */
    abstract static class Container extends AbstractBlock {
        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> p) {
            throw new UnsupportedOperationException("run through the model");
        }

        @Override
        protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
            for (var child : getChildren().values()) {
                child.initialize(manager, dataType, inputShapes);
            }
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return inputShapes;
        }
    }

    /** {@code self_attn} of one layer. */
    static final class Attention extends Container {
        final Weight q;
        final Weight k;
        final Weight v;
        final Weight o;

        Attention(NDManager m, int hidden, int heads, int kvHeads, int headDim) {
            float std = (float) (1 / Math.sqrt(hidden));
            q = addChildBlock("q_proj", new Weight(m, std, (long) heads * headDim, hidden));
            k = addChildBlock("k_proj", new Weight(m, std, (long) kvHeads * headDim, hidden));
            v = addChildBlock("v_proj", new Weight(m, std, (long) kvHeads * headDim, hidden));
            o = addChildBlock("o_proj", new Weight(m, std, hidden, (long) heads * headDim));
        }
    }

    /** {@code layers}: children {@code 0, 1, ...}. */
    static final class Layers extends Container {
        Layers(List<Attention> attention) {
            for (int i = 0; i < attention.size(); i++) {
                Layer layer = new Layer();
                layer.self = layer.add(attention.get(i));
                addChildBlock(Integer.toString(i), layer);
            }
        }
    }

    static final class Layer extends Container {
        Attention self;

        Attention add(Attention a) {
            return addChildBlock("self_attn", a);
        }
    }

    ToyPromptModel(NDManager manager, int vocab, int hidden, int heads, int kvHeads, int layers, int seed) {
        super(layers, hidden, heads, kvHeads, hidden / heads);
        this.vocab = vocab;
        Engine.getInstance().setRandomSeed(seed);
        embedTokens = addChildBlock("embed_tokens", new Weight(manager, 1f, vocab, hidden));
        for (int i = 0; i < layers; i++) {
            attention.add(new Attention(manager, hidden, heads, kvHeads, headDim));
        }
        addChildBlock("layers", new Layers(attention));
        lmHead = addChildBlock("lm_head", new Weight(manager, (float) (1 / Math.sqrt(hidden)), vocab, hidden));
        initialize(manager, DataType.FLOAT32, new Shape(1, 1));
    }

    /** The sizes of tests: vocabulary 12, hidden 16, 4 query heads sharing 2 key/value heads, 2 layers. */
    static ToyPromptModel small(NDManager manager, int seed) {
        return new ToyPromptModel(manager, 12, 16, 4, 2, 2, seed);
    }

    @Override
    public String modelType() {
        return "toy";
    }

    @Override
    public Optional<String> nameOrPath() {
        return Optional.of("toy/prompt-model");
    }





    @Override
    public Parameter wordEmbeddings() {
        return embedTokens.weight;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
            PairList<String, Object> params) {
        ForwardContext ctx = ForwardContext.current(params);
        NDArray ids = inputs.get(0);
        NDManager m = ids.getManager();
        long batch = ids.getShape().get(0);
        NDArray table = embedTokens.value(ps, ids, training);
        NDArray x = ids.getNDArrayInternal().embedding(ids, table, SparseFormat.DENSE).singletonOrThrow();
        NDArray mask = inputs.size() > 1 ? inputs.get(1).toType(DataType.FLOAT32, false)
                : m.ones(new Shape(batch, ids.getShape().get(1)));
        Optional<VirtualTokens> vt = ctx.get(VirtualTokens.KEY);
        if (vt.isPresent()) {
            NDArray prompts = vt.get().embeddings();
            prompts = prompts.broadcast(new Shape(batch, prompts.getShape().get(1), hidden));
            x = NDArrays.concat(new NDList(prompts, x), 1);
            mask = NDArrays.concat(new NDList(m.ones(new Shape(batch, vt.get().length())), mask), 1);
        }
        Optional<PrefixKeyValues> prefix = ctx.get(PrefixKeyValues.KEY);
        int p = prefix.map(PrefixKeyValues::length).orElse(0);
        if (p > 0) {
            mask = NDArrays.concat(new NDList(m.ones(new Shape(batch, p)), mask), 1);
        }
        long s = x.getShape().get(1);
        // query t sees every prefix position and the real positions up to itself; padding is hidden
        NDArray queries = m.arange(0, (int) s, 1, DataType.INT64).expandDims(1);
        NDArray keys = m.arange(-p, (int) s, 1, DataType.INT64).expandDims(0);
        NDArray causal = keys.gt(queries).toType(DataType.FLOAT32, false).mul(-1e9f);
        NDArray padding = mask.sub(1).mul(1e9f).reshape(batch, 1, 1, p + s);
        NDArray bias = padding.add(causal);
        // a native scalar: DJL's div(Number) wraps a Java buffer that autograd keeps after it is freed
        NDArray scale = m.full(new Shape(), (float) Math.sqrt(headDim), DataType.FLOAT32);
        for (int i = 0; i < layers; i++) {
            Attention a = attention.get(i);
            NDArray q = a.q.apply(ps, x, training).reshape(batch, s, heads, headDim).transpose(0, 2, 1, 3);
            NDArray k = a.k.apply(ps, x, training).reshape(batch, s, kvHeads, headDim).transpose(0, 2, 1, 3);
            NDArray v = a.v.apply(ps, x, training).reshape(batch, s, kvHeads, headDim).transpose(0, 2, 1, 3);
            if (p > 0) {
                Shape prefixShape = new Shape(batch, kvHeads, p, headDim);
                k = NDArrays.concat(new NDList(prefix.get().keys().get(i).broadcast(prefixShape), k), 2);
                v = NDArrays.concat(new NDList(prefix.get().values().get(i).broadcast(prefixShape), v), 2);
            }
            k = repeatKv(k, batch, p + s);
            v = repeatKv(v, batch, p + s);
            NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).div(scale).add(bias);
            NDArray context = scores.softmax(-1).matMul(v).transpose(0, 2, 1, 3).reshape(batch, s, hidden);
            x = x.add(a.o.apply(ps, context, training));
        }
        return new NDList(lmHead.apply(ps, x, training));
    }

    /** Query head h reads key/value head h / (heads / kvHeads), as Hugging Face's repeat_kv. */
    private NDArray repeatKv(NDArray kv, long batch, long length) {
        int groups = heads / kvHeads;
        return kv.expandDims(2).broadcast(new Shape(batch, kvHeads, groups, length, headDim))
                .reshape(batch, heads, length, headDim);
    }


    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), inputShapes[0].get(1), vocab)};
    }
}
