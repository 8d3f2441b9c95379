package io.github.peft4j.core;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.peft4j.core.hooks.AdapterRouting;
import io.github.peft4j.core.hooks.BaseModelInfo;
import io.github.peft4j.core.hooks.ForwardContext;
import io.github.peft4j.core.io.AdapterDirectory;
import io.github.peft4j.core.module.BlockSurgery;
import io.github.peft4j.core.module.EmbeddingLike;
import io.github.peft4j.core.module.DequantizableLinear;
import io.github.peft4j.core.module.LinearLike;
import io.github.peft4j.core.module.ModuleTree;
import io.github.peft4j.core.targeting.ModuleKind;
import io.github.peft4j.core.targeting.TargetMatcher;
import ai.djl.nn.core.AbstractEmbedding;
import io.github.peft4j.core.tuner.AdapterKeys;
import io.github.peft4j.core.tuner.Tensors;
import io.github.peft4j.core.tuner.TunerLayer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A frozen base model with named adapters, the JVM counterpart of Hugging Face PEFT's
 * {@code PeftModel}. Every base parameter is frozen; adapters are added, activated (one or
 * several, whose contributions are summed), disabled, deleted, merged, counted, saved and loaded
 * in the Hugging Face PEFT directory layout. It is itself a DJL {@link Block}, so it can be trained
 * with DJL's {@code Trainer} as well as with peft4j's.
 *
 * <pre>{@code
 * try (PeftModel model = PeftModel.create(base, LoraConfig.builder().r(8).targetModules("q_proj", "v_proj").build())) {
 *     System.out.println(model.countParameters()); // trainable params: ... || all params: ... || trainable%: ...
 *     // ... train ...
 *     model.save(Path.of("adapters/support"));
 *     try (PeftModel.DisabledAdapters off = model.disableAdapters()) {
 *         // forward here uses the base model alone
 *     }
 * }
 * PeftModel again = PeftModel.fromPretrained(base2, Path.of("adapters/support"));
 * }</pre>
 *
 * <p>Not thread-safe for changes (adding, activating, merging); forward calls may run from many
 * threads, each with its own per-request data in a {@link ForwardContext}.
 */
public class PeftModel extends AbstractBlock implements AutoCloseable {

    /** The name of the adapter created by {@link #create(Block, PeftConfig)}, as in PEFT. */
    public static final String DEFAULT_ADAPTER = "default";

    private static final Logger LOG = LoggerFactory.getLogger(PeftModel.class);
    private static final Pattern ADAPTER_NAME = Pattern.compile("[A-Za-z0-9_\\-]+");

    private final Block base;
    private final NDManager manager;
    private final Map<String, Adapter> adapters = new LinkedHashMap<>();
    private List<String> active = List.of();
    private boolean disabled;

    /** One registered adapter. */
    private static final class Adapter {
        final String name;
        final PeftMethod method;
        final Map<String, RegisteredTensor> registered = new LinkedHashMap<>();
        final PeftConfig config;
        boolean trainable = true;

        Adapter(String name, PeftConfig config, PeftMethod method) {
            this.name = name;
            this.config = config;
            this.method = method;
        }
    }

    private record RegisteredTensor(String savedKey, Parameter parameter) {}

    /**
     * A tensor of an adapter, with its in-memory and on-disk keys.
     *
     * @param key the in-memory key relative to the base model ({@code q_proj.lora_A.default.weight})
     * @param savedKey the key in {@code adapter_model.safetensors}
     *     ({@code base_model.model.q_proj.lora_A.weight})
     * @param parameter the parameter
     */
    public record AdapterTensor(String key, String savedKey, Parameter parameter) {}

    /**
     * @param base the base model, already initialised (its parameters hold arrays)
     * @param manager the manager adapter tensors are created with (their device is its device)
     */
    protected PeftModel(Block base, NDManager manager) {
        this.base = addChildBlock("model", base);
        this.manager = manager;
        base.freezeParameters(true);
    }

    /**
     * Wraps a base model without adapters; its parameters are frozen. Adapter tensors are created
     * on the device of the base model's first parameter.
     *
     * @param base the base model, initialised
     * @return the model
     */
    public static PeftModel wrap(Block base) {
        return new PeftModel(base, managerOf(base).newSubManager());
    }

    /**
     * @param base the base model, initialised
     * @param manager the parent of the manager adapter tensors will live in
     * @return the model
     */
    public static PeftModel wrap(Block base, NDManager manager) {
        return new PeftModel(base, manager.newSubManager());
    }

    /**
     * PEFT's {@code get_peft_model}: wraps {@code base} and adds one trainable, active adapter
     * named {@value #DEFAULT_ADAPTER}.
     *
     * @param base the base model, initialised
     * @param config the adapter's config
     * @return the model
     */
    public static PeftModel create(Block base, PeftConfig config) {
        return create(base, config, DEFAULT_ADAPTER);
    }

    /**
     * @param base the base model, initialised
     * @param config the adapter's config
     * @param adapterName the adapter's name
     * @return the model with that adapter active and trainable
     */
    public static PeftModel create(Block base, PeftConfig config, String adapterName) {
        PeftModel model = wrap(base);
        try {
            model.addAdapter(adapterName, config);
            model.setActiveAdapters(adapterName);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
        return model;
    }

    /**
     * PEFT's {@code PeftModel.from_pretrained}: wraps {@code base} and loads the adapter saved in
     * {@code dir} as {@value #DEFAULT_ADAPTER}, active and frozen (inference).
     *
     * @param base the base model, initialised
     * @param dir an adapter directory ({@code adapter_config.json} + {@code adapter_model.safetensors})
     * @return the model
     */
    public static PeftModel fromPretrained(Block base, Path dir) {
        return fromPretrained(base, dir, DEFAULT_ADAPTER, false);
    }

    /**
     * @param base the base model, initialised
     * @param dir an adapter directory
     * @param adapterName the name to give the adapter
     * @param trainable whether its tensors should be trainable
     * @return the model with that adapter active
     */
    public static PeftModel fromPretrained(Block base, Path dir, String adapterName, boolean trainable) {
        PeftModel model = wrap(base);
        try {
            model.loadAdapter(dir, adapterName, trainable);
            model.setActiveAdapters(adapterName);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
        return model;
    }

    private static NDManager managerOf(Block base) {
        for (Parameter p : base.getParameters().values()) {
            if (p.isInitialized()) {
                return p.getArray().getManager();
            }
        }
        throw new PeftConfigException(
                base.getClass().getSimpleName() + " has no initialised parameters: load or initialise the base model"
                        + " before wrapping it, or pass a manager to PeftModel.wrap");
    }

    /** @return the base model (with tuner layers in it while adapters are attached) */
    public Block baseModel() {
        return base;
    }

    /** @return the manager adapter tensors are created with; closing the model closes it */
    public NDManager manager() {
        return manager;
    }

    /** @return the modules of the base model, with their Hugging Face paths */
    public ModuleTree modules() {
        return ModuleTree.of(base);
    }

    /** @return what the base model says about itself, if it implements {@link BaseModelInfo} */
    public Optional<BaseModelInfo> baseModelInfo() {
        return base instanceof BaseModelInfo info ? Optional.of(info) : Optional.empty();
    }

    // ---------------------------------------------------------------- adapters

    /**
     * PEFT's {@code add_adapter}: injects a new, untrained adapter. It is not activated; call
     * {@link #setActiveAdapters} to use and train it.
     *
     * @param adapterName a new name (letters, digits, {@code _} and {@code -})
     * @param config its config; the method is found from {@code peft_type} and may complete it from
     *     the base model ({@link PeftMethod#prepareConfig}); {@link #config(String)} returns the
     *     completed config, which is the one saved
     */
    public void addAdapter(String adapterName, PeftConfig config) {
        if (adapterName == null || !ADAPTER_NAME.matcher(adapterName).matches()) {
            throw new PeftConfigException("adapter name '" + adapterName
                    + "' is not allowed: use letters, digits, '_' and '-' (it becomes a key segment and a folder)");
        }
        if (AdapterRouting.BASE.equals(adapterName)) {
            throw new PeftConfigException("'" + AdapterRouting.BASE + "' is reserved for rows without adapter");
        }
        if (adapters.containsKey(adapterName)) {
            throw new PeftConfigException("adapter '" + adapterName + "' already exists; delete it first");
        }
        config.validate();
        PeftMethod method = PeftMethods.forType(config.peftType());
        config = method.prepareConfig(this, config);
        config.validate();
        Adapter adapter = new Adapter(adapterName, config, method);
        adapters.put(adapterName, adapter);
        try {
            method.inject(this, adapterName, config);
        } catch (RuntimeException e) {
            adapters.remove(adapterName);
            removeFromLayers(adapterName);
            method.remove(this, adapterName);
            throw e;
        }
        if (tensors(adapterName).isEmpty()) {
            LOG.warn("adapter '{}' ({}) added no tensors", adapterName, config.peftType());
        }
        refreshTrainability();
    }

    /**
     * Makes tensors of {@code adapterName} that live outside tuner layers known to the model, so
     * that they are counted, made trainable, saved and loaded with the adapter (a prompt encoder,
     * a bias trained by BitFit).
     *
     * @param adapterName the adapter being injected
     * @param key the in-memory key relative to the base model
     * @param savedKey the key in the adapter file
     * @param parameter the parameter
     */
    public void registerAdapterTensor(String adapterName, String key, String savedKey, Parameter parameter) {
        Map<String, RegisteredTensor> registered = requireAdapter(adapterName).registered;
        // Registering a parameter again moves it: its path changes when a later adapter wraps its module.
        registered.values().removeIf(t -> t.parameter() == parameter);
        registered.put(key, new RegisteredTensor(savedKey, parameter));
    }

    /**
     * PEFT's {@code set_adapter}: these adapters are used in forward (contributions summed) and
     * are trainable (unless loaded for inference); all others are frozen.
     *
     * @param adapterNames one or several adapter names
     */
    public void setActiveAdapters(String... adapterNames) {
        setActiveAdapters(List.of(adapterNames));
    }

    /** @param adapterNames the adapters to activate, in order */
    public void setActiveAdapters(List<String> adapterNames) {
        for (String name : adapterNames) {
            requireAdapter(name);
        }
        active = List.copyOf(new LinkedHashSet<>(adapterNames));
        for (TunerLayer layer : tunerLayers()) {
            layer.setActiveAdapters(active);
        }
        refreshTrainability();
    }

    /** @return the active adapters, in activation order */
    public List<String> activeAdapters() {
        return active;
    }

    /** @return every adapter's name, in the order they were added */
    public Set<String> adapterNames() {
        return Collections.unmodifiableSet(adapters.keySet());
    }

    /**
     * @param adapterName an adapter
     * @return its config
     */
    public PeftConfig config(String adapterName) {
        return requireAdapter(adapterName).config;
    }

    /**
     * @param adapterName an adapter
     * @param trainable whether its tensors receive gradients when it is active
     */
    public void setTrainable(String adapterName, boolean trainable) {
        requireAdapter(adapterName).trainable = trainable;
        refreshTrainability();
    }

    /**
     * PEFT's {@code delete_adapter}: removes the adapter and its tensors.
     *
     * @param adapterName the adapter
     */
    public void deleteAdapter(String adapterName) {
        Adapter adapter = requireAdapter(adapterName);
        for (TunerLayer layer : tunerLayers()) {
            if (layer.mergedAdapters().contains(adapterName)) {
                throw new PeftConfigException("adapter '" + adapterName + "' is merged; unmerge it before deleting");
            }
        }
        removeFromLayers(adapterName);
        adapter.method.remove(this, adapterName);
        adapters.remove(adapterName);
        active = active.stream().filter(a -> !a.equals(adapterName)).toList();
        refreshTrainability();
    }

    private void removeFromLayers(String adapterName) {
        for (TunerLayer layer : tunerLayers()) {
            layer.deleteAdapter(adapterName);
        }
    }

    /**
     * PEFT's {@code disable_adapter()} context: until the handle is closed, forward uses the base
     * model alone. Merged adapters are unmerged first (with a warning), as PEFT does.
     *
     * <pre>{@code
     * try (PeftModel.DisabledAdapters off = model.disableAdapters()) {
     *     NDArray baseLogits = model.forward(ps, inputs, false).head();
     * }
     * }</pre>
     *
     * @return the handle that re-enables adapters when closed
     */
    public DisabledAdapters disableAdapters() {
        boolean wasDisabled = disabled;
        List<TunerLayer> layers = tunerLayers();
        if (layers.stream().anyMatch(l -> !l.mergedAdapters().isEmpty())) {
            LOG.warn("unmerging merged adapters before disabling them");
            unmerge();
        }
        setDisabled(layers, true);
        return () -> setDisabled(tunerLayers(), wasDisabled);
    }

    private void setDisabled(List<TunerLayer> layers, boolean value) {
        disabled = value;
        for (TunerLayer layer : layers) {
            layer.setAdaptersDisabled(value);
        }
    }

    /** @return whether adapters are disabled */
    public boolean adaptersDisabled() {
        return disabled;
    }

    /** Re-enables adapters when closed; see {@link #disableAdapters()}. */
    @FunctionalInterface
    public interface DisabledAdapters extends AutoCloseable {
        @Override
        void close();
    }

    // ---------------------------------------------------------------- merging

    /**
     * PEFT's {@code merge_adapter}: folds the active adapters into the base weights.
     */
    public void merge() {
        merge(active);
    }

    /**
     * @param adapterNames the adapters to fold into the base weights
     * @throws PeftCompatibilityException if one of them has layers that cannot merge, or no layers
     */
    public void merge(List<String> adapterNames) {
        List<TunerLayer> layers = tunerLayers();
        for (String name : adapterNames) {
            requireAdapter(name);
            boolean hasLayer = false;
            for (TunerLayer layer : layers) {
                if (layer.adapterNames().contains(name)) {
                    hasLayer = true;
                    if (!layer.canMerge()) {
                        throw new PeftCompatibilityException("adapter '" + name + "' cannot be merged: "
                                + layer.getClass().getSimpleName() + " does not support merging");
                    }
                }
            }
            if (!hasLayer && !requireAdapter(name).registered.isEmpty()) {
                throw new PeftCompatibilityException("adapter '" + name + "' (" + config(name).peftType()
                        + ") has no layers to merge into the base weights");
            }
        }
        for (TunerLayer layer : layers) {
            List<String> here = adapterNames.stream().filter(layer.adapterNames()::contains).toList();
            if (!here.isEmpty()) {
                layer.merge(here);
            }
        }
    }

    /** PEFT's {@code unmerge_adapter}: takes every merged adapter back out of the base weights. */
    public void unmerge() {
        for (TunerLayer layer : tunerLayers()) {
            if (!layer.mergedAdapters().isEmpty()) {
                layer.unmerge();
            }
        }
    }

    /**
     * PEFT's {@code merge_and_unload}: merges the active adapters, removes every tuner layer and
     * returns the plain base model. This {@code PeftModel} holds no adapters afterwards.
     *
     * @return the base model with the adapters folded in
     */
    public Block mergeAndUnload() {
        merge();
        return unloadLayers();
    }

    /**
     * PEFT's {@code unload}: removes every tuner layer without merging and returns the base model.
     *
     * @return the base model as it was before adapters were added
     */
    public Block unload() {
        unmerge();
        return unloadLayers();
    }

    private Block unloadLayers() {
        Map<Parameter, Boolean> baseParameters = new IdentityHashMap<>();
        for (Parameter p : ModuleTree.of(base).parameters().values()) {
            baseParameters.put(p, Boolean.TRUE);
        }
        for (Adapter adapter : adapters.values()) {
            // Base parameters an adapter trains (biases) stay in the base model; anything else would be lost.
            if (adapter.registered.values().stream().anyMatch(t -> !baseParameters.containsKey(t.parameter()))) {
                throw new PeftCompatibilityException("adapter '" + adapter.name + "' (" + adapter.config.peftType()
                        + ") lives outside the base layers; delete it before unloading");
            }
        }
        for (ModuleTree.Module m : ModuleTree.of(base).modules().values()) {
            if (m.block() instanceof TunerLayer layer && m.parent() != null) {
                BlockSurgery.replace(m.parent(), layer, layer.baseLayer());
                layer.discardAdapters();
            }
        }
        adapters.clear();
        active = List.of();
        return base;
    }

    // ---------------------------------------------------------------- parameters

    /** @return trainable and total parameter counts, as PEFT's {@code print_trainable_parameters} */
    public ParameterCount countParameters() {
        long trainable = 0;
        long all = 0;
        for (Parameter p : allParameters()) {
            if (!p.isInitialized()) {
                continue;
            }
            long n = p.getArray().size();
            all += n;
            if (p.requiresGradient()) {
                trainable += n;
            }
        }
        return new ParameterCount(trainable, all);
    }

    /** @return the parameters that receive gradients: tensors of active, trainable adapters */
    public List<Parameter> trainableParameters() {
        return allParameters().stream().filter(Parameter::requiresGradient).toList();
    }

    private List<Parameter> allParameters() {
        Map<Parameter, Boolean> seen = new IdentityHashMap<>();
        List<Parameter> out = new ArrayList<>();
        for (Parameter p : ModuleTree.of(base).parameters().values()) {
            if (seen.put(p, Boolean.TRUE) == null) {
                out.add(p);
            }
        }
        for (Adapter a : adapters.values()) {
            for (RegisteredTensor t : a.registered.values()) {
                if (seen.put(t.parameter(), Boolean.TRUE) == null) {
                    out.add(t.parameter());
                }
            }
        }
        return out;
    }

    /**
     * @param adapterName an adapter
     * @return its tensors with in-memory and saved keys, tuner layers first (in tree order)
     */
    public List<AdapterTensor> tensors(String adapterName) {
        Adapter adapter = requireAdapter(adapterName);
        List<AdapterTensor> out = new ArrayList<>();
        for (ModuleTree.Module m : ModuleTree.of(base).modules().values()) {
            if (m.block() instanceof TunerLayer layer) {
                for (Map.Entry<String, Parameter> e : layer.adapterParameters(adapterName).entrySet()) {
                    String key = m.path().isEmpty() ? e.getKey() : m.path() + "." + e.getKey();
                    String saved = layer.savedName(e.getKey(), adapterName);
                    String savedKey = AdapterKeys.withPrefix(m.path().isEmpty() ? saved : m.path() + "." + saved);
                    out.add(new AdapterTensor(key, savedKey, e.getValue()));
                }
            }
        }
        for (Map.Entry<String, RegisteredTensor> e : adapter.registered.entrySet()) {
            out.add(new AdapterTensor(e.getKey(), e.getValue().savedKey(), e.getValue().parameter()));
        }
        return out;
    }

    /**
     * @param adapterName an adapter
     * @return its parameters keyed in memory as PEFT's {@code named_parameters} (without the
     *     {@code base_model.model.} prefix)
     */
    public Map<String, Parameter> adapterParameters(String adapterName) {
        Map<String, Parameter> out = new LinkedHashMap<>();
        for (AdapterTensor t : tensors(adapterName)) {
            out.put(t.key(), t.parameter());
        }
        return out;
    }

    private void refreshTrainability() {
        base.freezeParameters(true);
        for (Adapter a : adapters.values()) {
            boolean train = a.trainable && active.contains(a.name);
            for (AdapterTensor t : tensors(a.name)) {
                t.parameter().freeze(!train);
            }
        }
    }

    /** @return every tuner layer in the base model, in tree order */
    public List<TunerLayer> tunerLayers() {
        List<TunerLayer> out = new ArrayList<>();
        for (ModuleTree.Module m : ModuleTree.of(base).modules().values()) {
            if (m.block() instanceof TunerLayer layer) {
                out.add(layer);
            }
        }
        return out;
    }

    /**
     * Replaces the module at {@code path} of the base model, as tuners do when they wrap a layer.
     *
     * @param path the module's path
     * @param wrap makes the replacement from the current block
     * @param <B> the replacement's type
     * @return the replacement
     */
    public <B extends Block> B replaceModule(String path, Function<Block, B> wrap) {
        ModuleTree.Module m = ModuleTree.of(base).find(path)
                .orElseThrow(() -> new PeftConfigException("no module '" + path + "' in the base model"));
        if (m.parent() == null) {
            throw new PeftConfigException("the root of the base model cannot be replaced");
        }
        B replacement = wrap.apply(m.block());
        BlockSurgery.replace(m.parent(), m.block(), replacement);
        return replacement;
    }

    /**
     * The module paths a tuner config targets, by Hugging Face PEFT's rules. Modules inside tuner
     * layers are not candidates (a wrapped layer is matched by its own path); the output head named
     * by {@link BaseModelInfo#outputEmbeddingsPath()} is left out of {@code all-linear}.
     *
     * @param matcher the config's targeting rules
     * @return the matched paths, in tree order
     * @throws PeftConfigException listing the paths that exist if nothing matches
     */
    public List<String> selectTargets(TargetMatcher matcher) {
        ModuleTree tree = modules();
        String head = baseModelInfo().flatMap(BaseModelInfo::outputEmbeddingsPath).orElse(null);
        List<String> tunerPaths = new ArrayList<>();
        List<String> candidates = new ArrayList<>();
        for (ModuleTree.Module m : tree.modules().values()) {
            String path = m.path();
            if (tunerPaths.stream().anyMatch(t -> path.startsWith(t + "."))) {
                continue;
            }
            if (m.block() instanceof TunerLayer) {
                tunerPaths.add(path);
            }
            candidates.add(path);
        }
        return matcher.select(candidates, path -> kindOf(tree.get(path), path.equals(head)));
    }

    /**
     * @param block a module
     * @param isOutputHead whether it is the model's output head
     * @return its kind for target matching
     */
    public static ModuleKind kindOf(Block block, boolean isOutputHead) {
        Block inner = block instanceof TunerLayer layer ? layer.baseLayer() : block;
        if (LinearLike.of(inner).isPresent() || inner instanceof DequantizableLinear) {
            return isOutputHead ? ModuleKind.OUTPUT_HEAD_LINEAR : ModuleKind.LINEAR;
        }
        if (inner instanceof AbstractEmbedding<?> || EmbeddingLike.of(inner).isPresent()) {
            return ModuleKind.EMBEDDING;
        }
        return ModuleKind.OTHER;
    }

    // ---------------------------------------------------------------- state dicts and files

    /**
     * @param adapterName an adapter
     * @return the tensors that {@link #save} writes for it, keyed as on disk
     */
    public Map<String, NDArray> savedStateDict(String adapterName) {
        Adapter adapter = requireAdapter(adapterName);
        return adapter.method.savedStateDict(this, adapterName, manager);
    }

    /**
     * The default behind {@link PeftMethod#savedStateDict}: every tensor of the adapter under its
     * saved key.
     *
     * @param adapterName an adapter
     * @return saved key to tensor
     */
    public Map<String, NDArray> defaultSavedStateDict(String adapterName) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (AdapterTensor t : tensors(adapterName)) {
            if (out.put(t.savedKey(), t.parameter().getArray()) != null) {
                throw new IllegalStateException("two tensors of adapter '" + adapterName + "' save as " + t.savedKey());
            }
        }
        return out;
    }

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
    public void defaultLoadStateDict(String adapterName, Map<String, NDArray> tensors, Path source) {
        Map<String, Parameter> expected = new LinkedHashMap<>();
        for (AdapterTensor t : tensors(adapterName)) {
            expected.put(AdapterKeys.withoutPrefix(t.savedKey()), t.parameter());
        }
        Set<String> unexpected = new TreeSet<>();
        Set<String> filled = new LinkedHashSet<>();
        for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
            String key = AdapterKeys.withoutPrefix(e.getKey());
            Parameter p = expected.get(key);
            if (p == null) {
                unexpected.add(e.getKey());
                continue;
            }
            Shape want = p.getArray().getShape();
            if (!want.equals(e.getValue().getShape())) {
                throw new PeftFormatException(source, e.getKey(),
                        "expected shape " + want + " but found " + e.getValue().getShape());
            }
            Tensors.assign(p.getArray(), e.getValue());
            filled.add(key);
        }
        if (filled.isEmpty() && !expected.isEmpty()) {
            throw new PeftCompatibilityException(source + ": none of its " + tensors.size()
                    + " tensors belong to adapter '" + adapterName + "' on this model; expected keys such as "
                    + expected.keySet().stream().limit(3).map(AdapterKeys::withPrefix).toList()
                    + ", found " + tensors.keySet().stream().limit(3).toList());
        }
        List<String> missing = expected.keySet().stream().filter(k -> !filled.contains(k)).toList();
        if (!missing.isEmpty()) {
            LOG.warn("{}: found missing adapter keys while loading the checkpoint: {}", source, missing);
        }
        if (!unexpected.isEmpty()) {
            LOG.warn("{}: ignoring keys that belong to no tensor of adapter '{}': {}", source, adapterName, unexpected);
        }
    }

    /**
     * PEFT's {@code save_pretrained}: writes every adapter, {@value #DEFAULT_ADAPTER} into
     * {@code dir} itself, any other into {@code dir/<name>/}.
     *
     * @param dir the target directory (created if needed)
     */
    public void save(Path dir) {
        save(dir, List.copyOf(adapters.keySet()));
    }

    /**
     * @param dir the target directory
     * @param adapterNames the adapters to write
     */
    public void save(Path dir, List<String> adapterNames) {
        for (String name : adapterNames) {
            Adapter adapter = requireAdapter(name);
            PeftConfig config = adapter.config;
            if (config.baseModelNameOrPath() == null) {
                String nameOrPath = baseModelInfo().flatMap(BaseModelInfo::nameOrPath).orElse(null);
                if (nameOrPath != null) {
                    config = config.withBaseModelNameOrPath(nameOrPath);
                }
            }
            try (NDManager scratch = manager.newSubManager()) {
                AdapterDirectory.write(AdapterDirectory.location(dir, name, DEFAULT_ADAPTER),
                        config, adapter.method.savedStateDict(this, name, scratch));
            }
        }
    }

    /**
     * PEFT's {@code load_adapter}: reads an adapter directory, injects it under
     * {@code adapterName} and fills its tensors. It is not activated.
     *
     * @param dir an adapter directory
     * @param adapterName the name to give it
     * @param trainable whether its tensors should be trainable when active
     */
    public void loadAdapter(Path dir, String adapterName, boolean trainable) {
        AdapterDirectory.Contents contents = AdapterDirectory.read(dir);
        addAdapter(adapterName, contents.config());
        Adapter adapter = adapters.get(adapterName);
        try (NDManager scratch = manager.newSubManager()) {
            Map<String, NDArray> tensors = contents.loadTensors(scratch);
            adapter.method.loadSavedStateDict(this, adapterName, tensors, contents.weightsFile());
        } catch (RuntimeException e) {
            deleteAdapter(adapterName);
            throw e;
        }
        adapter.trainable = trainable;
        refreshTrainability();
    }

    private Adapter requireAdapter(String adapterName) {
        Adapter a = adapters.get(adapterName);
        if (a == null) {
            throw new PeftConfigException("no adapter named '" + adapterName + "'; adapters: " + adapters.keySet());
        }
        return a;
    }

    // ---------------------------------------------------------------- DJL Block

    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore, NDList inputs, boolean training, PairList<String, Object> params) {
        ForwardContext ctx = ForwardContext.current(params);
        if (!disabled) {
            for (String name : active) {
                ctx = adapters.get(name).method.contributeToForward(this, name, parameterStore, inputs, training, ctx);
            }
        }
        try (ForwardContext.Scope scope = ctx.activate()) {
            return base.forward(parameterStore, inputs, training, ctx.addTo(params));
        }
    }

    /**
     * Forward with one adapter per batch row (PEFT's {@code adapter_names}); {@code "__base__"}
     * selects the base model for a row.
     *
     * @param parameterStore the parameter store
     * @param inputs the inputs
     * @param adapterNames one adapter name per row
     * @return the outputs
     */
    public NDList forward(ParameterStore parameterStore, NDList inputs, List<String> adapterNames) {
        Set<String> unknown = new TreeSet<>(adapterNames);
        unknown.remove(AdapterRouting.BASE);
        unknown.removeAll(adapters.keySet());
        if (!unknown.isEmpty()) {
            throw new PeftConfigException("trying to infer with non-existing adapter(s) " + unknown + "; adapters: "
                    + adapters.keySet() + " (use '" + AdapterRouting.BASE + "' for rows without adapter)");
        }
        ForwardContext ctx = ForwardContext.empty().with(AdapterRouting.KEY, new AdapterRouting(adapterNames));
        return forward(parameterStore, inputs, false, ctx.addTo(null));
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        base.initialize(manager, dataType, inputShapes);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return base.getOutputShapes(inputShapes);
    }

    /** Releases every adapter tensor; the base model's parameters are untouched. */
    @Override
    public void close() {
        manager.close();
    }

    @Override
    public String toString() {
        return "PeftModel(adapters=" + adapters.keySet() + ", active=" + active + ", base="
                + base.getClass().getSimpleName() + ")";
    }
}
