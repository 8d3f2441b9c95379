package io.github.peft4j.models.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.peft4j.models.config.BertConfig;
import io.github.peft4j.models.nn.Dropout;
import io.github.peft4j.models.nn.HfLayerNorm;
import io.github.peft4j.models.nn.Linears;

/**
 * BERT's post-norm residual step, transformers' {@code BertSelfOutput} ({@code attention.output})
 * and {@code BertOutput} ({@code output}): {@code LayerNorm(dropout(dense(x)) + residual)}.
 * Inputs: {@code (x, residual)}.
 *
 * <pre>{@code
 * Block output = ModuleTree.of(model).get("bert.encoder.layer.0.output");
 * }</pre>
 */
public final class BertResidualOutput extends AbstractBlock {

    private final BertConfig config;
    private Block dense;
    private Block layerNorm;

    BertResidualOutput(BertConfig config) {
        this.config = config;
        dense = addChildBlock("dense", Linears.of(config.hiddenSize(), true));
        layerNorm = addChildBlock("LayerNorm", new HfLayerNorm(config.hiddenSize(), config.layerNormEps()));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray projected = dense.forward(ps, new NDList(inputs.get(0)), training, params).head();
        NDArray sum = Dropout.apply(projected, config.hiddenDropout(), training).add(inputs.get(1));
        return layerNorm.forward(ps, new NDList(sum), training, params);
    }

    /** @param inputShapes the shape of {@code x}, then of the residual */
    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        dense.initialize(manager, dataType, inputShapes[0]);
        layerNorm.initialize(manager, dataType, inputShapes[1]);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[1]};
    }
}
