package io.github.peft4j.models.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.peft4j.models.config.LlamaConfig;
import io.github.peft4j.models.nn.AttentionHeads;
import io.github.peft4j.models.nn.Linears;
import io.github.peft4j.models.nn.ShapePreservingBlock;

/**
 * Llama's {@code self_attn}: {@code q_proj}, {@code k_proj}, {@code v_proj}, {@code o_proj} (DJL
 * {@code Linear}), rotary positions, grouped-query attention (each key/value head serves
 * {@code heads / kv_heads} query heads), keys and values extended by the cache or prefix.
 * Inputs: {@code (hidden [B,T,H], bias [B,1,T,S], cos, sin)}; output: {@code (hidden)}.
 *
 * <pre>{@code
 * LlamaAttention attn = (LlamaAttention) ModuleTree.of(model).get("model.layers.0.self_attn");
 * }</pre>
 */
public final class LlamaAttention extends ShapePreservingBlock {

    private final AttentionHeads attention;
    // typed Block so that block surgery can put any wrapper (LoRA, IA3) in their place
    private Block qProj;
    private Block kProj;
    private Block vProj;
    private Block oProj;

    LlamaAttention(LlamaConfig config, int layerIndex) {
        float scale = (float) Math.pow(config.headDim(), -0.5);
        attention = new AttentionHeads(layerIndex, config.numAttentionHeads(), config.numKeyValueHeads(),
                config.headDim(), scale, config.attentionDropout());
        qProj = addChildBlock("q_proj", Linears.of(attention.queryWidth(), config.qkvBias()));
        kProj = addChildBlock("k_proj", Linears.of(attention.keyValueWidth(), config.qkvBias()));
        vProj = addChildBlock("v_proj", Linears.of(attention.keyValueWidth(), config.qkvBias()));
        oProj = addOutputProjection("o_proj", Linears.of(config.hiddenSize(), config.oProjBias()),
                attention.queryWidth());
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDList x = new NDList(inputs.get(0));
        NDArray cos = inputs.get(2);
        NDArray sin = inputs.get(3);
        NDArray q = attention.splitQueries(qProj.forward(ps, x, training, params).head());
        NDArray k = attention.splitKeysOrValues(kProj.forward(ps, x, training, params).head());
        NDArray v = attention.splitKeysOrValues(vProj.forward(ps, x, training, params).head());
        q = RotaryEmbedding.apply(q, cos, sin);
        k = RotaryEmbedding.apply(k, cos, sin);
        NDArray out = attention.attendHeads(q, k, v, inputs.get(1), params, training);
        return oProj.forward(ps, new NDList(out), training, params);
    }
}
