package io.github.peft4j.models.llama;

import ai.djl.nn.Block;
import io.github.peft4j.models.config.LlamaConfig;
import io.github.peft4j.models.nn.PreNormDecoderLayer;

/**
 * One pre-norm Llama layer: {@code h + self_attn(input_layernorm(h))}, then
 * {@code h + mlp(post_attention_layernorm(h))}. Gemma names and norms differently:
 * {@code h + post_attention_layernorm(self_attn(input_layernorm(h)))}, then
 * {@code h + post_feedforward_layernorm(mlp(pre_feedforward_layernorm(h)))}.
 * Inputs: {@code (hidden, bias, cos, sin)}.
 *
 * <pre>{@code
 * Block layer = ModuleTree.of(model).get("model.layers.3");
 * }</pre>
 */
public final class LlamaDecoderLayer extends PreNormDecoderLayer {

    LlamaDecoderLayer(LlamaConfig config, int layerIndex) {
        // transformers' order of definition, which is the order of the state dict
        Block selfAttn = addChildBlock("self_attn", new LlamaAttention(config, layerIndex));
        Block mlp = addChildBlock("mlp", new LlamaMlp(config));
        int hidden = config.hiddenSize();
        Block inputLayernorm = addChildBlock("input_layernorm", LlamaNorm.of(config, hidden));
        Block postAttentionLayernorm = addChildBlock("post_attention_layernorm", LlamaNorm.of(config, hidden));
        if (config.gemma().isPresent()) {
            Block preFeedforward = addChildBlock("pre_feedforward_layernorm", LlamaNorm.of(config, hidden));
            Block postFeedforward = addChildBlock("post_feedforward_layernorm", LlamaNorm.of(config, hidden));
            subLayers(inputLayernorm, selfAttn, preFeedforward, mlp);
            outputNorms(postAttentionLayernorm, postFeedforward);
        } else {
            subLayers(inputLayernorm, selfAttn, postAttentionLayernorm, mlp);
        }
        residualDropout(config.residDropout());
    }
}
