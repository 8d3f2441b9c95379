package io.github.peft4j.prefix;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.core.PeftConfig;
import io.github.peft4j.core.PeftFormatException;
import io.github.peft4j.core.PeftMethod;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.hooks.AdapterRouting;
import io.github.peft4j.core.hooks.ForwardContext;
import io.github.peft4j.core.hooks.PrefixKeyValues;
import io.github.peft4j.core.hooks.PromptLearningModel;
import io.github.peft4j.core.hooks.VirtualTokens;
import io.github.peft4j.core.tuner.AdapterKeys;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.WeakHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the three prompt-learning methods share: the config is completed from the base model, the
 * adapter's encoder is registered with the {@link PeftModel} as {@code prompt_encoder.<adapter>.*},
 * each forward call gets the encoder's output through the {@link ForwardContext}, and the file holds
 * PEFT's single {@code prompt_embeddings} tensor.
 */
abstract class PromptLearningMethod implements PeftMethod {

    private static final Logger LOG = LoggerFactory.getLogger(PromptLearningMethod.class);

    /** PEFT's attribute holding the encoders: in-memory keys are {@code prompt_encoder.<adapter>.<name>}. */
    static final String ENCODER_PREFIX = "prompt_encoder.";

    /** The encoders of each model, by adapter; a model's entry goes when the model is unreachable. */
    private final Map<PeftModel, Map<String, BasePromptEncoder>> encoders =
            Collections.synchronizedMap(new WeakHashMap<>());

    /**
     * @param config the completed config
     * @param model the base model
     * @param manager where the encoder's tensors live
     * @return a new encoder
     */
    abstract BasePromptEncoder createEncoder(PromptLearningConfig config, PromptLearningModel model, NDManager manager);

    /**
     * Puts the encoder's output into the context the model reads.
     *
     * @param config the adapter's config
     * @param output the encoder's output, [rows, width]
     * @param batchSize the batch size of the forward call
     * @param context the context so far
     * @return the context with this adapter's contribution
     */
    abstract ForwardContext contribute(PromptLearningConfig config, NDArray output, long batchSize,
            ForwardContext context);

    /**
     * @param config the adapter's config
     * @return the positions this adapter prepends to the model's sequence
     */
    abstract int prependedPositions(PromptLearningConfig config);

    static PromptLearningModel promptModel(PeftModel model) {
        if (model.baseModel() instanceof PromptLearningModel m) {
            return m;
        }
        throw new PeftCompatibilityException(model.baseModel().getClass().getName() + " does not implement "
                + PromptLearningModel.class.getSimpleName() + ": prompt-learning adapters need a base model that"
                + " reports its sizes and honours VirtualTokens and PrefixKeyValues (peft-models' Llama, GPT-2 and"
                + " BERT do)");
    }

    @Override
    public PeftConfig prepareConfig(PeftModel model, PeftConfig config) {
        return ((PromptLearningConfig) config).prepareFor(promptModel(model));
    }

    @Override
    public void inject(PeftModel model, String adapterName, PeftConfig config) {
        PromptLearningConfig c = (PromptLearningConfig) config;
        BasePromptEncoder encoder = createEncoder(c, promptModel(model), model.manager());
        for (Map.Entry<String, Parameter> e : encoder.parameters().entrySet()) {
            String key = ENCODER_PREFIX + adapterName + "." + e.getKey();
            String savedKey = !encoder.reparameterized() && e.getKey().equals(BasePromptEncoder.EMBEDDING)
                    ? BasePromptEncoder.SAVED_KEY
                    : AdapterKeys.removeAdapterName(key, adapterName); // never written: only the output is saved
            model.registerAdapterTensor(adapterName, key, savedKey, e.getValue());
        }
        encoders.computeIfAbsent(model, k -> Collections.synchronizedMap(new LinkedHashMap<>()))
                .put(adapterName, encoder);
    }

    BasePromptEncoder encoder(PeftModel model, String adapterName) {
        Map<String, BasePromptEncoder> forModel = encoders.get(model);
        BasePromptEncoder encoder = forModel == null ? null : forModel.get(adapterName);
        if (encoder == null) {
            throw new IllegalStateException("no prompt encoder for adapter '" + adapterName + "' of " + model);
        }
        return encoder;
    }

    @Override
    public ForwardContext contributeToForward(PeftModel model, String adapterName, ParameterStore parameterStore,
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
    ForwardContext contribution(PeftModel model, String adapterName, ParameterStore parameterStore, long batchSize,
            NDManager manager, boolean training, ForwardContext context) {
        if (context.get(VirtualTokens.KEY).isPresent() || context.get(PrefixKeyValues.KEY).isPresent()) {
            throw new PeftCompatibilityException("adapter '" + adapterName + "': a forward call can use only one"
                    + " prompt-learning adapter, as in PEFT; active adapters: " + model.activeAdapters());
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
    public Map<String, NDArray> savedStateDict(PeftModel model, String adapterName, NDManager manager) {
        return Map.of(BasePromptEncoder.SAVED_KEY, encoder(model, adapterName).promptEmbeddingsToSave(manager));
    }

    @Override
    public void loadSavedStateDict(PeftModel model, String adapterName, Map<String, NDArray> tensors, Path source) {
        NDArray saved = tensors.get(BasePromptEncoder.SAVED_KEY);
        if (saved == null) {
            throw new PeftFormatException(source, BasePromptEncoder.SAVED_KEY, "missing: a "
                    + model.config(adapterName).peftType() + " adapter file holds this single tensor; found "
                    + new TreeSet<>(tensors.keySet()));
        }
        encoder(model, adapterName).loadPromptEmbeddings(saved, source);
        Set<String> others = new TreeSet<>(tensors.keySet());
        others.remove(BasePromptEncoder.SAVED_KEY);
        if (!others.isEmpty()) {
            LOG.warn("{}: ignoring tensors besides {}: {}", source, BasePromptEncoder.SAVED_KEY, others);
        }
    }

    @Override
    public void remove(PeftModel model, String adapterName) {
        Map<String, BasePromptEncoder> forModel = encoders.get(model);
        BasePromptEncoder encoder = forModel == null ? null : forModel.remove(adapterName);
        if (encoder != null) {
            encoder.parameters().values().forEach(p -> p.getArray().close());
        }
    }
}
