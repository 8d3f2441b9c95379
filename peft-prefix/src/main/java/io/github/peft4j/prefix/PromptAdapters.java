package io.github.peft4j.prefix;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.peft4j.core.Labels;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.PeftMethod;
import io.github.peft4j.core.PeftMethods;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.hooks.ForwardContext;

/**
 * Prompt-learning adapters chosen per call, and helpers for training with them.
 *
 * <p><b>One model, many prompt adapters, many threads.</b> {@code PeftModel.forward} uses the
 * model's active adapters, which are model state shared by every thread. To serve several prompt or
 * prefix adapters at once, load them all into one {@code PeftModel} and name the adapter on each
 * call: {@link #forward} computes that adapter's virtual tokens or prefix, puts them in a
 * {@link ForwardContext} of this call only, and runs the base model with it. Nothing is stored on
 * shared blocks, so threads do not see each other's prompts. The model's active prompt adapters
 * are not applied by these calls; its layer adapters (LoRA and the like) are, as set on the model.
 *
 * <pre>{@code
 * PeftModel model = PeftModel.fromPretrained(base, Path.of("adapters/support"), "support", false);
 * model.loadAdapter(Path.of("adapters/billing"), "billing", false);
 * // on any thread, concurrently:
 * NDArray logits = PromptAdapters.forward(model, "billing", new ParameterStore(manager, false),
 *         new NDList(inputIds), false).head();
 * }</pre>
 *
 * <p><b>Labels.</b> Prompt tuning and P-tuning make the model return outputs for
 * {@link #virtualTokens} more positions, in front; pad the labels with {@link #padLabels} as
 * PEFT does. Prefix tuning leaves the sequence length unchanged.
 */
public final class PromptAdapters {

    private PromptAdapters() {}

    private static PromptLearningMethod<?> method(PeftModel model, String adapterName) {
        PeftMethod method = PeftMethods.forType(model.config(adapterName).peftType());
        if (method instanceof PromptLearningMethod<?> m) {
            return m;
        }
        throw new PeftConfigException("adapter '" + adapterName + "' is a " + model.config(adapterName).peftType()
                + " adapter, not a prompt-learning one (PROMPT_TUNING, PREFIX_TUNING, P_TUNING)");
    }

    /**
     * The context one forward call needs for {@code adapterName}: its virtual tokens or prefix,
     * sized for the batch of {@code inputs}.
     *
     * @param model the model holding the adapter
     * @param adapterName a prompt-learning adapter (active or not)
     * @param parameterStore the call's parameter store
     * @param inputs the call's inputs; the first array is [batch, ...]
     * @param training whether this is a training forward
     * @param base the context to add to, for example one holding a KV cache
     * @return {@code base} with the adapter's contribution
     */
    public static ForwardContext context(PeftModel model, String adapterName, ParameterStore parameterStore,
            NDList inputs, boolean training, ForwardContext base) {
        return method(model, adapterName).contributeToForward(model.injectionContext(), adapterName, parameterStore, inputs,
                training, base);
    }

    /**
     * The context for calls whose inputs are not at hand yet, such as a generation loop: make it
     * current on the calling thread and run the <em>base</em> model (not the {@code PeftModel}, whose
     * active prompt adapters would be added a second time).
     *
     * <pre>{@code
     * ForwardContext ctx = PromptAdapters.context(model, "billing", ps, prompts.size(), manager, ForwardContext.empty());
     * try (ForwardContext.Scope scope = ctx.activate()) {
     *     GenerationResult out = Generator.generate(model.baseModel(), prompts, GenerationConfig.greedy(20));
     * }
     * }</pre>
     *
     * @param model the model holding the adapter
     * @param adapterName a prompt-learning adapter (active or not)
     * @param parameterStore the parameter store
     * @param batchSize the batch size of the calls
     * @param manager the manager the computed tensors attach to (close it after the calls)
     * @param base the context to add to
     * @return {@code base} with the adapter's contribution, computed for inference
     */
    public static ForwardContext context(PeftModel model, String adapterName, ParameterStore parameterStore,
            long batchSize, NDManager manager, ForwardContext base) {
        return method(model, adapterName).contribution(model.injectionContext(), adapterName, parameterStore, batchSize,
                manager, false, base);
    }

    /**
     * Runs the base model with {@code adapterName}'s virtual tokens or prefix, whatever adapters are
     * active on the model.
     *
     * @param model the model holding the adapter
     * @param adapterName a prompt-learning adapter
     * @param parameterStore the call's parameter store
     * @param inputs the model's inputs
     * @param training whether this is a training forward
     * @return the model's outputs
     */
    public static NDList forward(PeftModel model, String adapterName, ParameterStore parameterStore, NDList inputs,
            boolean training) {
        return forward(model, adapterName, parameterStore, inputs, training, null);
    }

    /**
     * @param model the model holding the adapter
     * @param adapterName a prompt-learning adapter
     * @param parameterStore the call's parameter store
     * @param inputs the model's inputs
     * @param training whether this is a training forward
     * @param params the call's {@code params}; a {@link ForwardContext} in them is kept and extended
     * @return the model's outputs
     */
    public static NDList forward(PeftModel model, String adapterName, ParameterStore parameterStore, NDList inputs,
            boolean training, PairList<String, Object> params) {
        ForwardContext ctx = context(model, adapterName, parameterStore, inputs, training,
                ForwardContext.current(params));
        try (ForwardContext.Scope scope = ctx.activate()) {
            return model.baseModel().forward(parameterStore, inputs, training, ctx.addTo(params));
        }
    }

    /**
     * @param model the model holding the adapter
     * @param adapterName a prompt-learning adapter
     * @return the positions the adapter prepends to the model's outputs: {@code num_virtual_tokens}
     *     for prompt tuning and P-tuning, 0 for prefix tuning
     */
    public static int virtualTokens(PeftModel model, String adapterName) {
        method(model, adapterName);
        return ((PromptLearningConfig) model.config(adapterName)).prependedPositions();
    }

    /**
     * PEFT's label padding: {@code n} times {@link Labels#IGNORE_INDEX} in front of every row.
     *
     * <pre>{@code
     * NDArray padded = PromptAdapters.padLabels(labels, PromptAdapters.virtualTokens(model, "default"));
     * }</pre>
     *
     * @param labels [batch, seq] integer labels
     * @param n the number of virtual tokens
     * @return [batch, n + seq], in the manager of {@code labels}
     */
    public static NDArray padLabels(NDArray labels, int n) {
        if (n == 0) {
            return labels;
        }
        Shape s = labels.getShape();
        NDArray pad = labels.getManager().full(new Shape(s.get(0), n), Labels.IGNORE_INDEX, labels.getDataType());
        return NDArrays.concat(new NDList(pad, labels), 1);
    }
}
