package io.github.peft4j.models.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.peft4j.core.hooks.ForwardContext;
import io.github.peft4j.core.hooks.PrefixKeyValues;
import io.github.peft4j.core.hooks.VirtualTokens;
import io.github.peft4j.models.config.BertConfig;
import io.github.peft4j.models.nn.AttentionBias;
import io.github.peft4j.models.nn.TokenEmbedding;
import io.github.peft4j.models.nn.TokenInputBlock;

/**
 * The bare BERT encoder ({@code bert}): {@code embeddings}, {@code encoder}, {@code pooler} (absent
 * from the LM heads' encoders, transformers' {@code add_pooling_layer=False}). Attention is
 * bidirectional, or causal when the configuration says {@code is_decoder}, as in transformers.
 * Inputs: {@code (input_ids [B,T], optional attention_mask [B,T] (or [B, prefix + virtual + T]),
 * optional token_type_ids [B,T])};
 * outputs: {@code (sequence_output [B,T',H], pooled_output [B,H])} (no pooled output without a
 * pooler), then the hidden states when requested, {@code T'} counting virtual
 * tokens. With prefix-tuning prefixes, positions start after the prefix, as transformers'
 * {@code past_key_values_length} does. A decoder extends the {@code KvCache} (or runs the batched decode
 * step) of a generation call, with positions from the mask ({@link BertDecoderSteps}).
 *
 * <pre>{@code
 * NDList out = ModuleTree.of(model).get("bert").forward(ps, new NDList(ids, mask), false);   // sequence, pooled
 * }</pre>
 */
public final class BertModel extends TokenInputBlock {

    private final BertEmbeddings embeddingStage;
    private final boolean causal;
    private Block embeddings;
    private Block encoder;
    private Block pooler;

    BertModel(BertConfig config, boolean addPoolingLayer) {
        super(config.hiddenSize());
        causal = config.isDecoder();
        embeddingStage = new BertEmbeddings(config);
        embeddings = addIdReader("embeddings", embeddingStage);
        encoder = addChildBlock("encoder", new BertEncoder(config));
        pooler = addPoolingLayer ? addChildBlock("pooler", new BertPooler(config)) : null;
    }

    /** @return the word embeddings of the {@code embeddings} stage */
    @Override
    public TokenEmbedding tokenEmbedding() {
        return embeddingStage.tokenEmbedding();
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray ids = inputs.get(0);
        NDManager m = ids.getManager();
        long batch = ids.getShape().get(0);
        long tokens = ids.getShape().get(1);
        ForwardContext ctx = ForwardContext.current(params);
        long virtual = ctx.get(VirtualTokens.KEY).map(VirtualTokens::length).orElse(0);
        long past = ctx.get(PrefixKeyValues.KEY).map(PrefixKeyValues::length).orElse(0);

        NDArray types = inputs.size() > 2 ? inputs.get(2).toType(DataType.INT64, false)
                : m.zeros(new Shape(batch, tokens), DataType.INT64);
        BertDecoderSteps steps = BertDecoderSteps.of(ctx, causal, ids, inputs.size() > 1 ? inputs.get(1) : null);
        NDArray positions;
        NDArray bias;
        if (steps != null) {
            positions = steps.positions();
            bias = steps.bias();
        } else {
            NDArray mask = inputs.size() > 1 ? inputs.get(1).toType(DataType.INT64, false)
                    : m.ones(new Shape(batch, tokens), DataType.INT64);
            positions = m.arange(past, past + virtual + tokens, 1, DataType.INT64).expandDims(0);
            // a mask of the real tokens gets ones in front; one already covering prefix and prompt is kept
            if (past + virtual > 0 && mask.getShape().get(1) == tokens) {
                mask = m.ones(new Shape(batch, past + virtual), DataType.INT64).concat(mask, 1);
            }
            bias = causal ? AttentionBias.causal(mask, virtual + tokens, null) : AttentionBias.padding(mask);
        }

        NDArray hidden = embeddings.forward(ps, new NDList(ids, types, positions), training, params).head();
        NDList encoded = encoder.forward(ps, new NDList(hidden, bias), training, params);
        hidden = encoded.head();
        if (steps != null) {
            steps.finish(m);
        }
        NDList out = new NDList(hidden);
        if (pooler != null) {
            out.add(pooler.forward(ps, new NDList(hidden), training, params).head());
        }
        return out.addAll(encoded.subNDList(1));
    }

    /** @return the sequence output's shape and, with a pooler, the pooled output's, {@code [B,H]} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape ids = inputShapes[0];
        Shape sequence = ids.add(hiddenSize());
        return pooler == null ? new Shape[] {sequence} : new Shape[] {sequence, new Shape(ids.get(0), hiddenSize())};
    }
}
