package io.github.peft4j.models.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.peft4j.models.config.BertConfig;
import io.github.peft4j.models.nn.Activations;
import io.github.peft4j.models.nn.HfLayerNorm;
import io.github.peft4j.models.nn.Linears;
import io.github.peft4j.models.nn.ShapePreservingBlock;
import java.util.function.UnaryOperator;

/**
 * transformers' {@code BertPredictionHeadTransform} ({@code cls.predictions.transform}):
 * {@code LayerNorm(act(dense(x)))}, {@code act} being {@code hidden_act}.
 *
 * <pre>{@code
 * Block dense = ModuleTree.of(model).get("cls.predictions.transform.dense");
 * }</pre>
 */
public final class BertPredictionHeadTransform extends ShapePreservingBlock {

    private final UnaryOperator<NDArray> activation;
    private Block dense;
    private Block layerNorm;

    BertPredictionHeadTransform(BertConfig config) {
        this.activation = Activations.of(config.hiddenAct());
        dense = addChildBlock("dense", Linears.of(config.hiddenSize(), true));
        layerNorm = addChildBlock("LayerNorm", new HfLayerNorm(config.hiddenSize(), config.layerNormEps()));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray projected = activation.apply(dense.forward(ps, inputs, training, params).head());
        return layerNorm.forward(ps, new NDList(projected), training, params);
    }
}
