package io.github.peft4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.hooks.ForwardContext;
import java.util.List;

/**
 * transformers' {@code output_hidden_states=True} for every peft4j model. A forward whose context
 * asks for them returns, after its usual outputs, {@code numLayers + 1} arrays {@code [B, T, H]}:
 * the embedding output (Gemma's scaled embeddings, GPT-2's token + position sum, BERT's normalised
 * embeddings), then the input of every later layer, then the last layer's output after the final
 * norm (Llama's {@code model.norm}, GPT-2's {@code ln_f}; BERT, post-norm, has none), exactly the
 * tuple transformers returns. The last one is what the head reads. Virtual tokens of prompt
 * methods count as positions, as they do in PEFT.
 *
 * <pre>{@code
 * HiddenStates.Output out = HiddenStates.forward(model.block(), ps, new NDList(ids, mask), false);
 * NDArray logits = out.logits();
 * NDArray last = out.hiddenStates().get(out.hiddenStates().size() - 1);
 * }</pre>
 */
public final class HiddenStates {

    /** The {@code ForwardContext} entry asking a model for its hidden states. */
    public static final ForwardContext.Key<Boolean> KEY = new ForwardContext.Key<>("output_hidden_states", Boolean.class);

    private HiddenStates() {}

    /**
     * @param outputs the model's usual outputs (logits first)
     * @param hiddenStates the embedding output, then each layer's, the last one after the final norm
     */
    public record Output(NDList outputs, List<NDArray> hiddenStates) {

        /** @return the first output: the logits of every head peft4j builds */
        public NDArray logits() {
            return outputs.head();
        }
    }

    /**
     * @param params the {@code params} of a forward call, possibly {@code null}
     * @return a copy carrying the current context with the hidden states requested
     */
    public static PairList<String, Object> request(PairList<String, Object> params) {
        return ForwardContext.current(params).with(KEY, Boolean.TRUE).addTo(params);
    }

    /**
     * @param params the {@code params} a block received
     * @return whether the forward in progress asks for hidden states
     */
    public static boolean requested(PairList<String, Object> params) {
        return ForwardContext.current(params).get(KEY).orElse(Boolean.FALSE);
    }

    /**
     * Runs a forward asking for the hidden states and splits what it returns.
     *
     * @param model a peft4j model block, or a {@link PeftModel} around one
     * @param ps the parameter store
     * @param inputs the model's inputs
     * @param training whether this is a training forward
     * @return the outputs and the hidden states
     * @throws PeftCompatibilityException when the block is not a peft4j model
     */
    public static Output forward(Block model, ParameterStore ps, NDList inputs, boolean training) {
        int layers = hfModel(model).config().numLayers();
        NDList all = model.forward(ps, inputs, training, request(null));
        int split = all.size() - (layers + 1);
        return new Output(all.subNDList(0, split), List.copyOf(all.subNDList(split)));
    }

    private static HfModel hfModel(Block block) {
        if (block instanceof HfModel model) {
            return model;
        }
        if (block instanceof PeftModel peft) {
            return hfModel(peft.baseModel());
        }
        throw new PeftCompatibilityException(block.getClass().getName() + " is not a peft4j model: it has no hidden"
                + " states to return");
    }
}
