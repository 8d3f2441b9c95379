package io.github.peft4j.models.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.peft4j.models.config.BertConfig;
import io.github.peft4j.models.nn.AttentionHeads;
import io.github.peft4j.models.nn.Linears;
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

    private final AttentionHeads attention;
    private Block query;
    private Block key;
    private Block value;

    BertSelfAttention(BertConfig config, int layerIndex) {
        int heads = config.numAttentionHeads();
        float scale = (float) (1.0 / Math.sqrt(config.headDim()));
        attention = new AttentionHeads(layerIndex, heads, heads, config.headDim(), scale, config.attentionDropout());
        query = addChildBlock("query", Linears.of(config.hiddenSize(), true));
        key = addChildBlock("key", Linears.of(config.hiddenSize(), true));
        value = addChildBlock("value", Linears.of(config.hiddenSize(), true));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDList x = new NDList(inputs.get(0));
        NDArray q = query.forward(ps, x, training, params).head();
        NDArray k = key.forward(ps, x, training, params).head();
        NDArray v = value.forward(ps, x, training, params).head();
        return new NDList(attention.attend(q, k, v, inputs.get(1), params, training));
    }
}
