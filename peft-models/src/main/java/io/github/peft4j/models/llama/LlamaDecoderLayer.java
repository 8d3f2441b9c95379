package io.github.peft4j.models.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.peft4j.models.config.LlamaConfig;
import io.github.peft4j.models.nn.LayerScope;
import io.github.peft4j.models.nn.RmsNorm;

/**
 * One pre-norm Llama layer: {@code h + self_attn(input_layernorm(h))}, then
 * {@code h + mlp(post_attention_layernorm(h))}. Inputs: {@code (hidden, bias, cos, sin)}.
 *
 * <pre>{@code
 * Block layer = ModuleTree.of(model).get("model.layers.3");
 * }</pre>
 */
public final class LlamaDecoderLayer extends AbstractBlock {

    private Block inputLayernorm;
    private Block selfAttn;
    private Block postAttentionLayernorm;
    private Block mlp;

    LlamaDecoderLayer(LlamaConfig config, int layerIndex) {
        selfAttn = addChildBlock("self_attn", new LlamaAttention(config, layerIndex));
        mlp = addChildBlock("mlp", new LlamaMlp(config));
        inputLayernorm = addChildBlock("input_layernorm", new RmsNorm(config.hiddenSize(), config.rmsNormEps()));
        postAttentionLayernorm = addChildBlock("post_attention_layernorm",
                new RmsNorm(config.hiddenSize(), config.rmsNormEps()));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return LayerScope.run(() -> {
            NDArray hidden = inputs.get(0);
            NDArray normed = inputLayernorm.forward(ps, new NDList(hidden), training, params).head();
            NDList attnIn = new NDList(normed, inputs.get(1), inputs.get(2), inputs.get(3));
            hidden = hidden.add(selfAttn.forward(ps, attnIn, training, params).head());
            normed = postAttentionLayernorm.forward(ps, new NDList(hidden), training, params).head();
            return new NDList(hidden.add(mlp.forward(ps, new NDList(normed), training, params).head()));
        });
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape hidden = inputShapes[0];
        selfAttn.initialize(manager, dataType, hidden);
        mlp.initialize(manager, dataType, hidden);
        inputLayernorm.initialize(manager, dataType, hidden);
        postAttentionLayernorm.initialize(manager, dataType, hidden);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }
}
