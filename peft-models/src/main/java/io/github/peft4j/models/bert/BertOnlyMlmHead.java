package io.github.peft4j.models.bert;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.peft4j.models.config.BertConfig;

/**
 * transformers' {@code BertOnlyMLMHead} ({@code cls}): only {@code predictions}, the token logits.
 *
 * <pre>{@code
 * Block cls = ModuleTree.of(model).get("cls");
 * }</pre>
 */
public final class BertOnlyMlmHead extends AbstractBlock {

    private Block predictions;

    BertOnlyMlmHead(BertConfig config, Parameter wordEmbeddings) {
        predictions = addChildBlock("predictions", new BertLmPredictionHead(config, wordEmbeddings));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return predictions.forward(ps, inputs, training, params);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        predictions.initialize(manager, dataType, inputShapes);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return predictions.getOutputShapes(inputShapes);
    }
}
