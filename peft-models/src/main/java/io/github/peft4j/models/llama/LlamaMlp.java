package io.github.peft4j.models.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.peft4j.models.config.LlamaConfig;
import io.github.peft4j.models.nn.Activations;
import io.github.peft4j.models.nn.Linears;
import io.github.peft4j.models.nn.ShapePreservingBlock;
import java.util.function.UnaryOperator;

/**
 * Llama's gated {@code mlp}: {@code down_proj(act(gate_proj(x)) * up_proj(x))} (SwiGLU with SiLU,
 * GeGLU with Gemma's GELU-tanh). Phi-3 fuses the two input projections into {@code gate_up_proj},
 * whose first half is the gate.
 *
 * <pre>{@code
 * Block mlp = ModuleTree.of(model).get("model.layers.0.mlp");
 * }</pre>
 */
public final class LlamaMlp extends ShapePreservingBlock {

    private final UnaryOperator<NDArray> activation;
    private final UnaryOperator<NDArray> trainingActivation;
    private Block gateUpProj;
    private Block gateProj;
    private Block upProj;
    private Block downProj;

    LlamaMlp(LlamaConfig config) {
        int intermediateSize = config.intermediateSize();
        this.activation = Activations.of(config.hiddenAct());
        this.trainingActivation = Activations.of(config.hiddenAct(), true);
        if (config.fusedProjections()) {
            gateUpProj = addChildBlock("gate_up_proj", Linears.of(2 * intermediateSize, config.mlpBias()));
        } else {
            gateProj = addChildBlock("gate_proj", Linears.of(intermediateSize, config.mlpBias()));
            upProj = addChildBlock("up_proj", Linears.of(intermediateSize, config.mlpBias()));
        }
        downProj = addOutputProjection("down_proj", Linears.of(config.hiddenSize(), config.mlpBias()),
                intermediateSize);
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDList x = new NDList(inputs.head());
        NDArray gate;
        NDArray up;
        if (gateUpProj != null) {
            NDArray fused = gateUpProj.forward(ps, x, training, params).head();
            NDList halves = fused.split(2, fused.getShape().dimension() - 1);
            gate = halves.get(0);
            up = halves.get(1);
        } else {
            gate = gateProj.forward(ps, x, training, params).head();
            up = upProj.forward(ps, x, training, params).head();
        }
        NDArray activated = (training ? trainingActivation : activation).apply(gate);
        return downProj.forward(ps, new NDList(activated.mul(up)), training, params);
    }
}
