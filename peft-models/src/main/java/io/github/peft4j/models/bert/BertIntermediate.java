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
import io.github.peft4j.models.nn.Activations;
import io.github.peft4j.models.nn.Linears;
import java.util.function.UnaryOperator;

/**
 * BERT's {@code intermediate}: {@code act(dense(x))}.
 *
 * <pre>{@code
 * Block intermediate = ModuleTree.of(model).get("bert.encoder.layer.0.intermediate");
 * }</pre>
 */
public final class BertIntermediate extends AbstractBlock {

    private final int size;
    private final UnaryOperator<NDArray> activation;
    private Block dense;

    BertIntermediate(BertConfig config) {
        this.size = config.intermediateSize();
        this.activation = Activations.of(config.hiddenAct());
        dense = addChildBlock("dense", Linears.of(size, true));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(activation.apply(dense.forward(ps, inputs, training, params).head()));
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        dense.initialize(manager, dataType, inputShapes[0]);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape in = inputShapes[0];
        return new Shape[] {in.slice(0, in.dimension() - 1).add(size)};
    }
}
