package io.github.peft4j.prefix;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import io.github.peft4j.core.InjectionContext;
import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.core.BasePeftMethod;
import io.github.peft4j.core.hooks.AdapterRouting;
import io.github.peft4j.core.hooks.ForwardContext;
import io.github.peft4j.core.hooks.PrefixKeyValues;
import io.github.peft4j.core.hooks.PromptLearningModel;
import io.github.peft4j.core.hooks.VirtualTokens;
import io.github.peft4j.core.tuner.AdapterKeys;
import java.nio.file.Path;
import java.util.Map;

/**
 * What the three prompt-learning methods share, as PEFT's {@code PeftModel} does for them: the config
 * is completed from the base model, the adapter's encoder is its per-adapter state
 * ({@link InjectionContext#adapterState}) with its tensors registered as
 * {@code prompt_encoder.<adapter>.*}, each forward call gets the encoder's output through the
 * {@link ForwardContext} (as virtual tokens unless a method overrides {@link #contribute}), and the
 * file holds PEFT's {@code prompt_embeddings} (plus the copies of {@code modules_to_save}, if any).
 *
 * <pre>{@code
 * public final class PromptTuningMethod extends PromptLearningMethod<PromptTuningConfig> {
 *     public PromptTuningMethod() { super("PROMPT_TUNING", PromptTuningConfig.class, PromptEmbedding::new); }
 * }
 * }</pre>
 */
public abstract class PromptLearningMethod<C extends PromptLearningConfig> extends BasePeftMethod<C> {

    /** PEFT's attribute holding the encoders: in-memory keys are {@code prompt_encoder.<adapter>.<name>}. */
    static final String ENCODER_PREFIX = "prompt_encoder.";

    /** Makes a method's encoder: PEFT's {@code PromptEmbedding}, {@code PrefixEncoder}, {@code PromptEncoder}. */
    @FunctionalInterface
    protected interface EncoderFactory<C extends PromptLearningConfig> {
        /**
         * @param config the completed config
         * @param model the base model
         * @param manager where the encoder's tensors live
         * @return a new encoder
         */
        BasePromptEncoder create(C config, PromptLearningModel model, NDManager manager);
    }

    private final EncoderFactory<C> encoders;

    /**
     * @param peftType the {@code peft_type} the subclass handles
     * @param configClass its config class
     * @param encoders makes the encoder of each new adapter
     */
    protected PromptLearningMethod(String peftType, Class<C> configClass, EncoderFactory<C> encoders) {
        super(peftType, configClass);
        this.encoders = encoders;
    }

    /**
     * Puts the encoder's output into the context the model reads; by default as {@link VirtualTokens}
     * prepended to the input embeddings (prompt tuning, P-tuning): the same rows for every sequence.
     *
     * @param config the adapter's config
     * @param output the encoder's output, [rows, width]
     * @param batchSize the batch size of the forward call
     * @param context the context so far
     * @return the context with this adapter's contribution
     */
    protected ForwardContext contribute(PromptLearningConfig config, NDArray output, long batchSize,
            ForwardContext context) {
        Shape s = output.getShape();
        return context.with(VirtualTokens.KEY,
                new VirtualTokens(output.expandDims(0).broadcast(new Shape(batchSize, s.get(0), s.get(1)))));
    }

    static PromptLearningModel promptModel(InjectionContext model) {
        if (model.baseModel() instanceof PromptLearningModel m) {
            return m;
        }
        throw new PeftCompatibilityException(model.baseModel().getClass().getName() + " does not implement "
                + PromptLearningModel.class.getSimpleName() + ": prompt-learning adapters need a base model that"
                + " reports its sizes and honours VirtualTokens and PrefixKeyValues (peft-models' Llama, GPT-2 and"
                + " BERT do)");
    }

    @Override
    protected C prepare(InjectionContext model, C config) {
        return configClass().cast(config.prepareFor(promptModel(model)));
    }

    @Override
    protected void injectAdapter(InjectionContext model, String adapterName, C c) {
        BasePromptEncoder encoder = encoders.create(c, promptModel(model), model.manager());
        for (Map.Entry<String, Parameter> e : encoder.parameters().entrySet()) {
            String key = ENCODER_PREFIX + adapterName + "." + e.getKey();
            String savedKey = !encoder.reparameterized() && e.getKey().equals(BasePromptEncoder.EMBEDDING)
                    ? BasePromptEncoder.SAVED_KEY
                    : AdapterKeys.removeAdapterName(key, adapterName); // never written: only the output is saved
            model.registerAdapterTensor(adapterName, key, savedKey, e.getValue());
        }
        model.adapterState(adapterName, BasePromptEncoder.class, () -> encoder);
    }

    static BasePromptEncoder encoder(InjectionContext model, String adapterName) {
        return model.findAdapterState(adapterName, BasePromptEncoder.class).orElseThrow(() ->
                new IllegalStateException("no prompt encoder for adapter '" + adapterName + "'"));
    }

    @Override
    public ForwardContext contributeToForward(InjectionContext model, String adapterName, ParameterStore parameterStore,
            NDList inputs, boolean training, ForwardContext context) {
        if (inputs.isEmpty()) {
            throw new IllegalArgumentException("a forward call with a prompt-learning adapter needs inputs whose first"
                    + " array is [batch, ...]");
        }
        NDArray first = inputs.get(0);
        return contribution(model, adapterName, parameterStore, first.getShape().get(0), first.getManager(),
                training, context);
    }

    /**
     * The adapter's virtual tokens or prefix for a batch, added to {@code context}.
     *
     * @param model the model
     * @param adapterName the adapter
     * @param parameterStore the call's parameter store
     * @param batchSize the batch size
     * @param manager the call's manager: the result and its temporaries attach to it
     * @param training whether this is a training forward
     * @param context the context so far
     * @return the extended context
     */
    ForwardContext contribution(InjectionContext model, String adapterName, ParameterStore parameterStore, long batchSize,
            NDManager manager, boolean training, ForwardContext context) {
        if (context.get(VirtualTokens.KEY).isPresent() || context.get(PrefixKeyValues.KEY).isPresent()) {
            throw new PeftCompatibilityException("adapter '" + adapterName + "': a forward call can use only one"
                    + " prompt-learning adapter, as in PEFT");
        }
        if (context.get(AdapterRouting.KEY).isPresent()) {
            throw new PeftCompatibilityException("adapter '" + adapterName + "': per-row adapters (adapter_names) are"
                    + " not supported while a prompt-learning adapter is active, as in PEFT");
        }
        PromptLearningConfig config = (PromptLearningConfig) model.config(adapterName);
        NDArray output = encoder(model, adapterName).output(parameterStore, manager, training);
        return contribute(config, output, batchSize, context);
    }

    @Override
    public Map<String, NDArray> savedStateDict(InjectionContext model, String adapterName, NDManager manager) {
        return PromptStateDict.saved(model, adapterName, encoder(model, adapterName), manager);
    }

    @Override
    public void loadSavedStateDict(InjectionContext model, String adapterName, Map<String, NDArray> tensors,
            Path source) {
        PromptStateDict.load(model, adapterName, encoder(model, adapterName), tensors, source);
    }

    @Override
    public void remove(InjectionContext model, String adapterName) {
        model.findAdapterState(adapterName, BasePromptEncoder.class)
                .ifPresent(encoder -> encoder.parameters().values().forEach(p -> p.getArray().close()));
    }
}
