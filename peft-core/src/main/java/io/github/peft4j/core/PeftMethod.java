package io.github.peft4j.core;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import ai.djl.ndarray.NDList;
import io.github.peft4j.core.hooks.ForwardContext;
import java.nio.file.Path;
import java.util.Map;

/**
 * A PEFT technique, found through {@link java.util.ServiceLoader} and keyed by its
 * {@code peft_type}. Core never names a tuner: {@link PeftModel} asks {@link PeftMethods} for the
 * method of a config or of an adapter file and lets it inject its layers.
 *
 * <p>A tuner module provides a config class, a layer (a
 * {@link io.github.peft4j.core.tuner.BaseTunerLayer}, which owns forward, routing and merge
 * bookkeeping) and an implementation of this interface, listed in
 * {@code META-INF/services/io.github.peft4j.core.PeftMethod}. Every call gets the model's
 * {@link InjectionContext}, the tuner's whole view of the model. The defaults save and load every
 * tensor of the adapter's tuner layers (and tensors registered with
 * {@link InjectionContext#registerAdapterTensor}) under Hugging Face PEFT's key rules; prompt
 * methods override them. {@code modules_to_save} is core's ({@link ModulesToSave}).
 *
 * <pre>{@code
 * public final class LoraMethod implements PeftMethod {
 *     public String peftType() { return "LORA"; }
 *     public Class<LoraConfig> configClass() { return LoraConfig.class; }
 *     public void inject(InjectionContext model, String adapter, PeftConfig config) {
 *         for (String path : model.selectTargets(...)) {
 *             model.replaceModule(path, base -> new LoraLinear(base, adapter, (LoraConfig) config));
 *         }
 *     }
 * }
 * }</pre>
 */
public interface PeftMethod {

    /** @return the {@code peft_type} this method handles, e.g. {@code "LORA"} */
    String peftType();

    /** @return the config class read from {@code adapter_config.json} for this type */
    Class<? extends PeftConfig> configClass();

    /**
     * Completes a config from the base model before the adapter is added, as PEFT's
     * {@code _prepare_adapter_config} / {@code _prepare_prompt_learning_config} do (sizes read from
     * the model, defaults that depend on the model type). The returned config is the one the model
     * stores, passes to {@link #inject} and saves. The default returns {@code config} unchanged.
     *
     * @param model the model the adapter is added to
     * @param config the config given by the caller (already validated)
     * @return the config to use, of the same class; never mutate {@code config} itself
     */
    default PeftConfig prepareConfig(InjectionContext model, PeftConfig config) {
        return config;
    }

    /**
     * Adds an adapter's trainable parts to the model: wraps target layers, adds tensors. Values
     * are created with {@link InjectionContext#manager()}.
     *
     * @param model the model
     * @param adapterName the new adapter's name
     * @param config its config (of {@link #configClass()})
     */
    void inject(InjectionContext model, String adapterName, PeftConfig config);

    /**
     * Adds what this adapter contributes to one forward call (virtual tokens, key/value prefixes).
     * Called for each active adapter of this type, in activation order, unless adapters are
     * disabled. The default contributes nothing, as for layer tuners.
     *
     * @param model the model
     * @param adapterName the active adapter
     * @param parameterStore the forward call's parameter store
     * @param inputs the forward call's inputs
     * @param training whether this is a training forward
     * @param context the context built so far
     * @return the context to pass on
     */
    default ForwardContext contributeToForward(
            InjectionContext model,
            String adapterName,
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            ForwardContext context) {
        return context;
    }

    /**
     * The tensors written to {@code adapter_model.safetensors}, keyed as on disk.
     *
     * @param model the model
     * @param adapterName the adapter
     * @param manager the manager for any tensor computed for the file
     * @return saved key to tensor
     */
    default Map<String, NDArray> savedStateDict(InjectionContext model, String adapterName, NDManager manager) {
        return model.defaultSavedStateDict(adapterName);
    }

    /**
     * Puts the tensors of a file into the adapter's parameters.
     *
     * @param model the model
     * @param adapterName the adapter, already injected
     * @param tensors the file's tensors, keyed as on disk
     * @param source the file, for messages
     */
    default void loadSavedStateDict(InjectionContext model, String adapterName, Map<String, NDArray> tensors, Path source) {
        model.defaultLoadStateDict(adapterName, tensors, source);
    }

    /**
     * The config written to {@code adapter_config.json}, matching {@link #savedStateDict}. A method
     * whose initialisation rewrites the base model (PiSSA, OLoRA) saves a form that loads onto the
     * original base, as PEFT's {@code path_initial_model_for_weight_conversion} does. The default is
     * {@code config}.
     *
     * @param model the model
     * @param adapterName the adapter
     * @param config the adapter's config
     * @return the config to save
     */
    default PeftConfig savedConfig(InjectionContext model, String adapterName, PeftConfig config) {
        return config;
    }

    /**
     * Refuses a saved adapter whose injection would change the base model: loading is data only
     * (DESIGN §6). Called before anything is injected. The default accepts every config.
     *
     * @param saved the config read from the directory
     * @param dir the adapter directory, for messages
     * @throws PeftCompatibilityException naming {@code dir} when the adapter cannot load as data
     */
    default void checkLoadable(PeftConfig saved, Path dir) {}

    /**
     * Removes what {@link #inject} added outside tuner layers (tuner layers and
     * {@link InjectionContext#adapterState} are handled by core).
     *
     * @param model the model
     * @param adapterName the adapter being deleted
     */
    default void remove(InjectionContext model, String adapterName) {}
}
