package io.github.peft4j.models.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.peft4j.core.hooks.ForwardContext;
import io.github.peft4j.models.config.BertConfig;
import io.github.peft4j.models.nn.AttentionMath;
import io.github.peft4j.models.nn.Linears;
import io.github.peft4j.models.nn.PastKeyValues;
import io.github.peft4j.models.nn.ShapePreservingBlock;

/**
 * BERT's {@code attention.self}: {@code query}, {@code key}, {@code value} and bidirectional
 * attention; keys and values may be extended by prefix-tuning prefixes.
 * Inputs: {@code (hidden [B,T,H], bias [B,1,1,S])}; output: the attention context [B,T,H].
 *
 * <pre>{@code
 * Block query = ModuleTree.of(model).get("bert.encoder.layer.0.attention.self.query");
 * }</pre>
 */
public final class BertSelfAttention extends ShapePreservingBlock {

    private final int layerIndex;
    private final int heads;
    private final int headDim;
    private final float scale;
    private final double dropout;
    private Block query;
    private Block key;
    private Block value;

    BertSelfAttention(BertConfig config, int layerIndex) {
        this.layerIndex = layerIndex;
        this.heads = config.numAttentionHeads();
        this.headDim = config.headDim();
        this.scale = (float) (1.0 / Math.sqrt(headDim));
        this.dropout = config.attentionDropout();
        query = addChildBlock("query", Linears.of(config.hiddenSize(), true));
        key = addChildBlock("key", Linears.of(config.hiddenSize(), true));
        value = addChildBlock("value", Linears.of(config.hiddenSize(), true));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDList x = new NDList(inputs.get(0));
        NDArray q = AttentionMath.splitHeads(query.forward(ps, x, training, params).head(), heads, headDim);
        NDArray k = AttentionMath.splitHeads(key.forward(ps, x, training, params).head(), heads, headDim);
        NDArray v = AttentionMath.splitHeads(value.forward(ps, x, training, params).head(), heads, headDim);
        NDArray[] kv = PastKeyValues.extend(ForwardContext.current(params), layerIndex, k, v);
        NDArray out = AttentionMath.attend(q, kv[0], kv[1], inputs.get(1), scale, dropout, training);
        return new NDList(AttentionMath.mergeHeads(out));
    }
}
