package io.github.peft4j.core;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import io.github.peft4j.core.hooks.BaseModelInfo;
import io.github.peft4j.core.module.ModuleTree;
import io.github.peft4j.core.targeting.TargetMatcher;
import io.github.peft4j.core.tuner.TunerLayer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * What a {@link PeftMethod} may do to a {@link PeftModel}: select target modules, replace a module,
 * register tensors that live outside tuner layers, keep per-adapter state, and read or write the
 * adapter's tensors. It is the tuner's whole view of the model — the user API (activating,
 * merging, saving) is not part of it. One context belongs to one model for its whole life.
 *
 * <pre>{@code
 * public void inject(InjectionContext model, String adapter, PeftConfig config) {
 *     for (String path : model.selectTargets(TargetMatcher.builder().targets(c.targetModules()).build())) {
 *         model.tunerLayerAt(path, MyLayer.class, MyLayer::new).addAdapter(adapter, c, model.manager());
 *     }
 * }
 * }</pre>
 */
public interface InjectionContext {

    /** @return the manager adapter tensors are created with (their device is its device) */
    NDManager manager();

    /** @return the base model, with the tuner layers already in it */
    Block baseModel();

    /** @return the base model's modules with their Hugging Face paths */
    ModuleTree modules();

    /** @return what the base model says about itself, if it implements {@link BaseModelInfo} */
    Optional<BaseModelInfo> baseModelInfo();

    /** @return every adapter of the model (the one being injected included), in the order they were added */
    Set<String> adapterNames();

    /** @return every tuner layer in the base model, in tree order */
    List<TunerLayer> tunerLayers();

    /**
     * @param adapterName an adapter of the model
     * @return its config (as prepared by its method)
     */
    PeftConfig config(String adapterName);

    /**
     * The module paths a config targets, by Hugging Face PEFT's rules. Modules inside tuner layers
     * are not candidates (a wrapped layer is matched by its own path); the output head named by
     * {@link BaseModelInfo#outputEmbeddingsPath()} is left out of {@code all-linear}.
     *
     * @param matcher the config's targeting rules
     * @return the matched paths, in tree order
     * @throws PeftConfigException listing the paths that exist if nothing matches
     */
    List<String> selectTargets(TargetMatcher matcher);

    /**
     * Replaces the module at {@code path}. A new tuner layer starts with the model's active
     * adapters and disabled state, so it behaves like the layers already there.
     *
     * @param path the module's path
     * @param wrap makes the replacement from the current block
     * @param <B> the replacement's type
     * @return the replacement
     */
    <B extends Block> B replaceModule(String path, Function<Block, B> wrap);

    /**
     * The tuner layer of {@code type} at {@code path}: the one already there (a second adapter of the
     * same method shares it, as in PEFT), or the module wrapped by {@code wrap}. One tuner type per
     * module: nesting one tuner's layer inside another's would hide it from the other's merging and
     * saving.
     *
     * @param path the module's path
     * @param type the tuner's layer class
     * @param wrap makes the layer from the module when it is not one yet
     * @param <L> the layer type
     * @return the layer
     * @throws PeftCompatibilityException if a layer of another tuner (or modules_to_save) wraps the module
     */
    default <L extends Block> L tunerLayerAt(String path, Class<L> type, Function<Block, L> wrap) {
        Block current = modules().get(path);
        if (type.isInstance(current)) {
            return type.cast(current);
        }
        if (current instanceof TunerLayer other) {
            throw new PeftCompatibilityException(type.getSimpleName() + " cannot adapt " + path
                    + ": it is already wrapped by " + other.getClass().getSimpleName() + " (one tuner type per module)");
        }
        return replaceModule(path, wrap);
    }

    /**
     * Makes a tensor of {@code adapterName} that lives outside tuner layers known to the model, so
     * that it is counted, made trainable, saved and loaded with the adapter (a prompt encoder, a
     * bias trained by BitFit).
     *
     * @param adapterName the adapter being injected
     * @param key the in-memory key relative to the base model
     * @param savedKey the key in the adapter file
     * @param parameter the parameter
     */
    void registerAdapterTensor(String adapterName, String key, String savedKey, Parameter parameter);

    /**
     * Per-adapter state of a method (a prompt encoder, say), created on first use and dropped when
     * the adapter is deleted, so methods keep no maps of their own.
     *
     * @param adapterName the adapter
     * @param type the state's class (one state per class and adapter)
     * @param create makes the state the first time
     * @param <T> the state's type
     * @return the state
     */
    <T> T adapterState(String adapterName, Class<T> type, Supplier<T> create);

    /**
     * @param adapterName an adapter
     * @param type the state's class
     * @param <T> the state's type
     * @return the state stored by {@link #adapterState}, if any
     */
    <T> Optional<T> findAdapterState(String adapterName, Class<T> type);

    /**
     * @param adapterName an adapter
     * @return its tensors with in-memory and saved keys, tuner layers first (in tree order)
     */
    List<AdapterTensor> tensors(String adapterName);

    /**
     * The default behind {@link PeftMethod#savedStateDict}: every tensor of the adapter under its
     * saved key.
     *
     * @param adapterName an adapter
     * @return saved key to tensor
     */
    Map<String, NDArray> defaultSavedStateDict(String adapterName);

    /**
     * The default behind {@link PeftMethod#loadSavedStateDict}: copies each tensor of the file into
     * the parameter with the same saved key (with or without the {@code base_model.model.}
     * prefix). Missing and unexpected keys are logged, as PEFT warns; a file that fills nothing or
     * a tensor of the wrong shape is an error.
     *
     * @param adapterName the adapter, already injected
     * @param tensors the file's tensors
     * @param source the file, for messages
     */
    void defaultLoadStateDict(String adapterName, Map<String, NDArray> tensors, Path source);
}
