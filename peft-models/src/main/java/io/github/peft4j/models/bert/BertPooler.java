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
import io.github.peft4j.models.nn.Linears;

/**
 * BERT's {@code pooler}: {@code tanh(dense(hidden[:, 0]))}. Input [B,T,H]; output [B,H].
 *
 * <pre>{@code
 * Block pooler = ModuleTree.of(model).get("bert.pooler");
 * }</pre>
 */
public final class BertPooler extends AbstractBlock {

    private Block dense;

    BertPooler(BertConfig config) {
        dense = addChildBlock("dense", Linears.of(config.hiddenSize(), true));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray first = inputs.head().get(":, 0, :");
        return new NDList(dense.forward(ps, new NDList(first), training, params).head().tanh());
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape hidden = inputShapes[0];
        dense.initialize(manager, dataType, new Shape(hidden.get(0), hidden.get(hidden.dimension() - 1)));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape hidden = inputShapes[0];
        return new Shape[] {new Shape(hidden.get(0), hidden.get(hidden.dimension() - 1))};
    }
}
