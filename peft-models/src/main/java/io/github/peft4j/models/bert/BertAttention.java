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
import io.github.peft4j.models.nn.ShapePreservingBlock;

/**
 * BERT's {@code attention}: {@code self} then {@code output}. Inputs: {@code (hidden, bias)}.
 *
 * <pre>{@code
 * Block attention = ModuleTree.of(model).get("bert.encoder.layer.0.attention");
 * }</pre>
 */
public final class BertAttention extends ShapePreservingBlock {

    private Block self;
    private Block output;

    BertAttention(BertConfig config, int layerIndex) {
        self = addChildBlock("self", new BertSelfAttention(config, layerIndex));
        output = addChildBlock("output", new BertResidualOutput(config));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray hidden = inputs.get(0);
        NDArray context = self.forward(ps, inputs, training, params).head();
        return output.forward(ps, new NDList(context, hidden), training, params);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        self.initialize(manager, dataType, inputShapes[0]);
        output.initialize(manager, dataType, inputShapes[0], inputShapes[0]);
    }
}
