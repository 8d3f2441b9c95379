package io.github.peft4j.models.gpt2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.peft4j.models.config.Gpt2Config;
import io.github.peft4j.models.nn.Activations;
import io.github.peft4j.models.nn.Dropout;
import io.github.peft4j.models.nn.ShapePreservingBlock;
import java.util.function.UnaryOperator;

/**
 * GPT-2's {@code mlp}: {@code dropout(c_proj(act(c_fc(x))))}.
 *
 * <pre>{@code
 * Block mlp = ModuleTree.of(model).get("transformer.h.0.mlp");
 * }</pre>
 */
public final class Gpt2Mlp extends ShapePreservingBlock {

    private final UnaryOperator<NDArray> activation;
    private final UnaryOperator<NDArray> trainingActivation;
    private final double dropout;
    private Block cFc;
    private Block cProj;

    Gpt2Mlp(Gpt2Config config) {
        int inner = config.intermediateSize();
        this.activation = Activations.of(config.hiddenAct());
        this.trainingActivation = Activations.of(config.hiddenAct(), true);
        this.dropout = config.residDropout();
        cFc = addChildBlock("c_fc", new Conv1D(inner));
        cProj = addOutputProjection("c_proj", new Conv1D(config.hiddenSize()), inner);
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray h = (training ? trainingActivation : activation)
                .apply(cFc.forward(ps, new NDList(inputs.head()), training, params).head());
        NDArray out = cProj.forward(ps, new NDList(h), training, params).head();
        return new NDList(Dropout.apply(out, dropout, training));
    }
}
