package io.github.peft4j.models.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.peft4j.core.hooks.ForwardContext;
import io.github.peft4j.models.config.LlamaConfig;
import io.github.peft4j.models.nn.AttentionMath;
import io.github.peft4j.models.nn.Linears;
import io.github.peft4j.models.nn.PastKeyValues;
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

    private final int layerIndex;
    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final float scale;
    private final double dropout;
    // typed Block so that block surgery can put any wrapper (LoRA, IA3) in their place
    private Block qProj;
    private Block kProj;
    private Block vProj;
    private Block oProj;

    LlamaAttention(LlamaConfig config, int layerIndex) {
        this.layerIndex = layerIndex;
        this.heads = config.numAttentionHeads();
        this.kvHeads = config.numKeyValueHeads();
        this.headDim = config.headDim();
        this.scale = (float) Math.pow(headDim, -0.5);
        this.dropout = config.attentionDropout();
        qProj = addChildBlock("q_proj", Linears.of(heads * headDim, config.qkvBias()));
        kProj = addChildBlock("k_proj", Linears.of(kvHeads * headDim, config.qkvBias()));
        vProj = addChildBlock("v_proj", Linears.of(kvHeads * headDim, config.qkvBias()));
        oProj = addChildBlock("o_proj", Linears.of(config.hiddenSize(), config.oProjBias()));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray hidden = inputs.get(0);
        NDArray bias = inputs.get(1);
        NDArray cos = inputs.get(2);
        NDArray sin = inputs.get(3);
        NDList x = new NDList(hidden);
        NDArray q = AttentionMath.splitHeads(qProj.forward(ps, x, training, params).head(), heads, headDim);
        NDArray k = AttentionMath.splitHeads(kProj.forward(ps, x, training, params).head(), kvHeads, headDim);
        NDArray v = AttentionMath.splitHeads(vProj.forward(ps, x, training, params).head(), kvHeads, headDim);
        q = RotaryEmbedding.apply(q, cos, sin);
        k = RotaryEmbedding.apply(k, cos, sin);
        NDArray[] kv = PastKeyValues.extend(ForwardContext.current(params), layerIndex, k, v);
        int groups = heads / kvHeads;
        NDArray out = AttentionMath.attend(q, AttentionMath.repeatKv(kv[0], groups),
                AttentionMath.repeatKv(kv[1], groups), bias, scale, dropout, training);
        return oProj.forward(ps, new NDList(AttentionMath.mergeHeads(out)), training, params);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape hidden = inputShapes[0];
        qProj.initialize(manager, dataType, hidden);
        kProj.initialize(manager, dataType, hidden);
        vProj.initialize(manager, dataType, hidden);
        oProj.initialize(manager, dataType, hidden.slice(0, hidden.dimension() - 1).add(heads * headDim));
    }
}
