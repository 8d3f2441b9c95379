package io.github.peft4j.models.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.peft4j.models.config.BertConfig;
import io.github.peft4j.models.nn.LayerScope;
import io.github.peft4j.models.nn.ShapePreservingBlock;

/**
 * One post-norm BERT layer ({@code encoder.layer.<i>}): {@code attention}, {@code intermediate},
 * {@code output}. Inputs: {@code (hidden, bias)}.
 *
 * <pre>{@code
 * Block layer = ModuleTree.of(model).get("bert.encoder.layer.0");
 * }</pre>
 */
public final class BertLayer extends ShapePreservingBlock {

    private final int intermediateSize;
    private Block attention;
    private Block intermediate;
    private Block output;

    BertLayer(BertConfig config, int layerIndex) {
        this.intermediateSize = config.intermediateSize();
        attention = addChildBlock("attention", new BertAttention(config, layerIndex));
        intermediate = addChildBlock("intermediate", new BertIntermediate(config));
        output = addChildBlock("output", new BertResidualOutput(config));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return LayerScope.run(() -> {
            NDArray attended = attention.forward(ps, inputs, training, params).head();
            NDArray inner = intermediate.forward(ps, new NDList(attended), training, params).head();
            return output.forward(ps, new NDList(inner, attended), training, params);
        });
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape hidden = inputShapes[0];
        attention.initialize(manager, dataType, hidden);
        intermediate.initialize(manager, dataType, hidden);
        output.initialize(manager, dataType, hidden.slice(0, hidden.dimension() - 1).add(intermediateSize), hidden);
    }
}
