package io.github.peft4j.models.gpt2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.peft4j.models.config.Gpt2Config;
import io.github.peft4j.models.nn.HfLayerNorm;
import io.github.peft4j.models.nn.LayerScope;

/**
 * One GPT-2 layer ({@code h.<i>}): {@code h + attn(ln_1(h))}, then {@code h + mlp(ln_2(h))}.
 *
 * <pre>{@code
 * Block block = ModuleTree.of(model).get("transformer.h.0");
 * }</pre>
 */
public final class Gpt2Block extends AbstractBlock {

    private Block ln1;
    private Block attn;
    private Block ln2;
    private Block mlp;

    Gpt2Block(Gpt2Config config, int layerIndex) {
        ln1 = addChildBlock("ln_1", new HfLayerNorm(config.hiddenSize(), config.layerNormEps()));
        attn = addChildBlock("attn", new Gpt2Attention(config, layerIndex));
        ln2 = addChildBlock("ln_2", new HfLayerNorm(config.hiddenSize(), config.layerNormEps()));
        mlp = addChildBlock("mlp", new Gpt2Mlp(config));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return LayerScope.run(() -> {
            NDArray hidden = inputs.get(0);
            NDArray normed = ln1.forward(ps, new NDList(hidden), training, params).head();
            hidden = hidden.add(attn.forward(ps, new NDList(normed, inputs.get(1)), training, params).head());
            normed = ln2.forward(ps, new NDList(hidden), training, params).head();
            return new NDList(hidden.add(mlp.forward(ps, new NDList(normed), training, params).head()));
        });
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape hidden = inputShapes[0];
        ln1.initialize(manager, dataType, hidden);
        attn.initialize(manager, dataType, hidden);
        ln2.initialize(manager, dataType, hidden);
        mlp.initialize(manager, dataType, hidden);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }
}
