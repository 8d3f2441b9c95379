package io.github.peft4j.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * A pre-norm transformer layer (GPT-2's {@code h.<i>}, Llama's {@code layers.<i>}):
 * {@code h = h + attention(attention_norm(h), rest...)}, then {@code h + mlp(mlp_norm(h))}, where
 * {@code rest} are the layer's inputs after the hidden states (the attention bias, rotary cos/sin).
 * Gemma also normalises each sub-layer's output before the residual sum ({@link #outputNorms});
 * Phi-3 drops out each sub-layer's output while training ({@link #residualDropout}).
 * The layer runs in its own {@link LayerScope}. A subclass adds its four children under the
 * architecture's names and in its order, then hands them to {@link #subLayers}.
 *
 * <pre>{@code
 * subLayers(addChildBlock("ln_1", norm1), addChildBlock("attn", attn),
 *         addChildBlock("ln_2", norm2), addChildBlock("mlp", mlp));
 * }</pre>
 */
public abstract class PreNormDecoderLayer extends ShapePreservingBlock {

    // not final: block surgery may replace children held in fields
    private Block attentionNorm;
    private Block attention;
    private Block mlpNorm;
    private Block mlp;
    private Block attentionOutputNorm;
    private Block mlpOutputNorm;
    private double residualDropout;

    /**
     * @param attentionNorm the norm before attention, already added as a child
     * @param attention the attention, already added as a child
     * @param mlpNorm the norm before the MLP, already added as a child
     * @param mlp the MLP, already added as a child
     */
    protected final void subLayers(Block attentionNorm, Block attention, Block mlpNorm, Block mlp) {
        this.attentionNorm = attentionNorm;
        this.attention = attention;
        this.mlpNorm = mlpNorm;
        this.mlp = mlp;
    }

    /**
     * @param attentionOutputNorm the norm of the attention output (Gemma's {@code post_attention_layernorm})
     * @param mlpOutputNorm the norm of the MLP output (Gemma's {@code post_feedforward_layernorm})
     */
    protected final void outputNorms(Block attentionOutputNorm, Block mlpOutputNorm) {
        this.attentionOutputNorm = attentionOutputNorm;
        this.mlpOutputNorm = mlpOutputNorm;
    }

    /** @param probability dropout on each sub-layer's output while training (Phi-3's {@code resid_pdrop}) */
    protected final void residualDropout(double probability) {
        this.residualDropout = probability;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return LayerScope.run(() -> {
            NDArray hidden = inputs.get(0);
            NDArray normed = attentionNorm.forward(ps, new NDList(hidden), training, params).head();
            NDList attentionIn = new NDList(normed).addAll(inputs.subNDList(1));
            // each sub-layer in its own scope: the attention's temporaries are gone before the MLP's
            // are made, so a layer's peak holds one sub-layer's temporaries, not both
            NDArray attended = LayerScope.one(() -> attention.forward(ps, attentionIn, training, params).head());
            hidden = hidden.add(residual(attentionOutputNorm, attended, ps, training, params));
            NDArray mlpIn = mlpNorm.forward(ps, new NDList(hidden), training, params).head();
            NDArray transformed = LayerScope.one(() -> mlp.forward(ps, new NDList(mlpIn), training, params).head());
            return new NDList(hidden.add(residual(mlpOutputNorm, transformed, ps, training, params)));
        });
    }

    private NDArray residual(Block outputNorm, NDArray out, ParameterStore ps, boolean training,
            PairList<String, Object> params) {
        NDArray normed = outputNorm == null ? out : outputNorm.forward(ps, new NDList(out), training, params).head();
        return Dropout.apply(normed, residualDropout, training);
    }
}
