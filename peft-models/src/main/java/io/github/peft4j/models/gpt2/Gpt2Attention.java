package io.github.peft4j.models.gpt2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.peft4j.models.config.Gpt2Config;
import io.github.peft4j.models.nn.AttentionHeads;
import io.github.peft4j.models.nn.Dropout;
import io.github.peft4j.models.nn.ShapePreservingBlock;

/**
 * GPT-2's {@code attn}: one {@code c_attn} projection to queries, keys and values, causal
 * attention, {@code c_proj} back. Inputs: {@code (hidden [B,T,E], bias [B,1,T,S])}.
 *
 * <pre>{@code
 * Block attn = ModuleTree.of(model).get("transformer.h.0.attn");
 * }</pre>
 */
public final class Gpt2Attention extends ShapePreservingBlock {

    private final AttentionHeads attention;
    private final double residDropout;
    private Block cAttn;
    private Block cProj;

    Gpt2Attention(Gpt2Config config, int layerIndex) {
        int embed = config.hiddenSize();
        int heads = config.numAttentionHeads();
        int headDim = embed / heads;
        double scale = config.scaleAttnWeights() ? 1.0 / Math.sqrt(headDim) : 1.0;
        if (config.scaleAttnByInverseLayerIdx()) {
            scale /= layerIndex + 1;
        }
        this.attention = new AttentionHeads(layerIndex, heads, heads, headDim, (float) scale, config.attnDropout());
        this.residDropout = config.residDropout();
        cAttn = addChildBlock("c_attn", new Conv1D(3 * embed));
        cProj = addChildBlock("c_proj", new Conv1D(embed));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray qkv = cAttn.forward(ps, new NDList(inputs.get(0)), training, params).head();
        NDList parts = qkv.split(3, 2);
        NDArray out = attention.attend(parts.get(0), parts.get(1), parts.get(2), inputs.get(1), params, training);
        NDArray projected = cProj.forward(ps, new NDList(out), training, params).head();
        return new NDList(Dropout.apply(projected, residDropout, training));
    }
}
