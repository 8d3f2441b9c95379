package io.github.peft4j.models.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.peft4j.models.config.GemmaFields;
import io.github.peft4j.models.config.LlamaConfig;
import io.github.peft4j.models.nn.AttentionHeads;
import io.github.peft4j.models.nn.Linears;
import io.github.peft4j.models.nn.ShapePreservingBlock;

/**
 * Llama's {@code self_attn}: {@code q_proj}, {@code k_proj}, {@code v_proj}, {@code o_proj} (DJL
 * {@code Linear}), rotary positions, grouped-query attention (each key/value head serves
 * {@code heads / kv_heads} query heads), keys and values extended by the cache or prefix. The family's
 * variants: Phi-3 computes q, k and v with one fused {@code qkv_proj} (rows: queries, keys, values);
 * Qwen3 and Gemma 3 normalise q and k per head ({@code q_norm}, {@code k_norm}) before RoPE; Gemma
 * scales scores by {@code query_pre_attn_scalar^-0.5} and Gemma 2 soft-caps them. A sliding layer's
 * window comes with the mask, except in batched decode steps, where its heads apply it.
 * Inputs: {@code (hidden [B,T,H], bias [B,1,T,S], cos, sin)}; output: {@code (hidden)}.
 *
 * <pre>{@code
 * LlamaAttention attn = (LlamaAttention) ModuleTree.of(model).get("model.layers.0.self_attn");
 * }</pre>
 */
public final class LlamaAttention extends ShapePreservingBlock {

    private final AttentionHeads attention;
    // typed Block so that block surgery can put any wrapper (LoRA, IA3) in their place
    private Block qkvProj;
    private Block qProj;
    private Block kProj;
    private Block vProj;
    private Block oProj;
    private Block qNorm;
    private Block kNorm;

    LlamaAttention(LlamaConfig config, int layerIndex) {
        float softcap = config.gemma().map(GemmaFields::attnLogitSoftcapping).map(Double::floatValue).orElse(0f);
        attention = new AttentionHeads(layerIndex, config.numAttentionHeads(), config.numKeyValueHeads(),
                config.headDim(), (float) config.attentionScale(), config.attentionDropout(), softcap)
                .withSlidingWindow(config.slidingWindow(layerIndex));
        if (config.fusedProjections()) {
            qkvProj = addChildBlock("qkv_proj", Linears.of(attention.queryWidth() + 2 * attention.keyValueWidth(),
                    config.qkvBias()));
        } else {
            qProj = addChildBlock("q_proj", Linears.of(attention.queryWidth(), config.qkvBias()));
            kProj = addChildBlock("k_proj", Linears.of(attention.keyValueWidth(), config.qkvBias()));
            vProj = addChildBlock("v_proj", Linears.of(attention.keyValueWidth(), config.qkvBias()));
        }
        oProj = addOutputProjection("o_proj", Linears.of(config.hiddenSize(), config.oProjBias()),
                attention.queryWidth());
        if (config.qkNorm()) {
            // they read one head: [.., headDim]
            qNorm = addOutputProjection("q_norm", LlamaNorm.of(config, config.headDim()), config.headDim());
            kNorm = addOutputProjection("k_norm", LlamaNorm.of(config, config.headDim()), config.headDim());
        }
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDList x = new NDList(inputs.get(0));
        NDArray[] qkv = qkvProj == null
                ? new NDArray[] {qProj.forward(ps, x, training, params).head(),
                        kProj.forward(ps, x, training, params).head(), vProj.forward(ps, x, training, params).head()}
                : splitFused(qkvProj.forward(ps, x, training, params).head());
        NDArray q = attention.splitQueries(qkv[0]);
        NDArray k = attention.splitKeysOrValues(qkv[1]);
        NDArray v = attention.splitKeysOrValues(qkv[2]);
        if (qNorm != null) {
            q = qNorm.forward(ps, new NDList(q), training, params).head();
            k = kNorm.forward(ps, new NDList(k), training, params).head();
        }
        q = RotaryEmbedding.apply(q, inputs.get(2), inputs.get(3));
        k = RotaryEmbedding.apply(k, inputs.get(2), inputs.get(3));
        NDArray out = attention.attendHeads(q, k, v, inputs.get(1), params, training);
        return oProj.forward(ps, new NDList(out), training, params);
    }

    /** Phi-3's {@code qkv_proj} output, [B, T, (heads + 2 kvHeads) headDim]: queries, keys, values. */
    private NDArray[] splitFused(NDArray fused) {
        long q = attention.queryWidth();
        NDList parts = fused.split(new long[] {q, q + attention.keyValueWidth()}, fused.getShape().dimension() - 1);
        return new NDArray[] {parts.get(0), parts.get(1), parts.get(2)};
    }
}
