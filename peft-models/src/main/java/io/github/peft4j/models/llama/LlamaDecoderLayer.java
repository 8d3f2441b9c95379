package io.github.peft4j.models.llama;

import ai.djl.nn.Block;
import io.github.peft4j.models.config.LlamaConfig;
import io.github.peft4j.models.nn.PreNormDecoderLayer;
import io.github.peft4j.models.nn.RmsNorm;

/**
 * One pre-norm Llama layer: {@code h + self_attn(input_layernorm(h))}, then
 * {@code h + mlp(post_attention_layernorm(h))}. Inputs: {@code (hidden, bias, cos, sin)}.
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
        Block inputLayernorm = addChildBlock("input_layernorm", new RmsNorm(config.hiddenSize(), config.rmsNormEps()));
        Block postAttentionLayernorm = addChildBlock("post_attention_layernorm",
                new RmsNorm(config.hiddenSize(), config.rmsNormEps()));
        subLayers(inputLayernorm, selfAttn, postAttentionLayernorm, mlp);
    }
}
