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
import io.github.peft4j.core.module.ModuleTree;
import io.github.peft4j.core.tuner.TunerLayer;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
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

    private final Block base;
    private final NDManager manager;
    private final Map<String, AdapterEntry> adapters = new LinkedHashMap<>();
    private final ModelInjection injection = new ModelInjection(this);
    private List<String> active = List.of();
    private boolean disabled;

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
        return new PeftModel(base, AdapterTensors.managerOf(base).newSubManager());
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
        return withActiveAdapter(wrap(base), adapterName, model -> model.addAdapter(adapterName, config));
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
        return withActiveAdapter(wrap(base), adapterName, model -> model.loadAdapter(dir, adapterName, trainable));
    }

    /** Adds an adapter and activates it; a failure closes the new model. */
    private static PeftModel withActiveAdapter(PeftModel model, String adapterName, Consumer<PeftModel> add) {
        try {
            add.accept(model);
            model.setActiveAdapters(adapterName);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
        return model;
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
        AdapterEntry.checkName(adapterName);
        if (adapters.containsKey(adapterName)) {
            throw new PeftConfigException("adapter '" + adapterName + "' already exists; delete it first");
        }
        AdapterEntry adapter = injection.prepare(adapterName, config);
        adapters.put(adapterName, adapter);
        try {
            injection.inject(adapter);
        } catch (RuntimeException e) {
            adapters.remove(adapterName);
            throw e;
        }
        refreshTrainability();
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
            entry(name);
        }
        active = List.copyOf(new LinkedHashSet<>(adapterNames));
        TunerLayers.of(base).setActive(active);
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
        return entry(adapterName).config;
    }

    /**
     * @param adapterName an adapter
     * @param trainable whether its tensors receive gradients when it is active
     */
    public void setTrainable(String adapterName, boolean trainable) {
        entry(adapterName).trainable = trainable;
        refreshTrainability();
    }

    /**
     * PEFT's {@code delete_adapter}: removes the adapter and its tensors.
     *
     * @param adapterName the adapter
     */
    public void deleteAdapter(String adapterName) {
        AdapterEntry adapter = entry(adapterName);
        TunerLayers layers = TunerLayers.of(base);
        if (layers.isMerged(adapterName)) {
            throw new PeftConfigException("adapter '" + adapterName + "' is merged; unmerge it before deleting");
        }
        layers.delete(adapterName);
        adapter.method.remove(injection, adapterName);
        adapters.remove(adapterName);
        active = active.stream().filter(a -> !a.equals(adapterName)).toList();
        refreshTrainability();
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
        if (TunerLayers.of(base).anyMerged()) {
            LOG.warn("unmerging merged adapters before disabling them");
            unmerge();
        }
        setDisabled(true);
        return () -> setDisabled(wasDisabled);
    }

    private void setDisabled(boolean value) {
        disabled = value;
        TunerLayers.of(base).setDisabled(value);
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

    /** PEFT's {@code merge_adapter}: folds the active adapters into the base weights. */
    public void merge() {
        merge(active);
    }

    /**
     * @param adapterNames the adapters to fold into the base weights
     * @throws PeftCompatibilityException if one of them has layers that cannot merge, or no layers
     */
    public void merge(List<String> adapterNames) {
        TunerLayers.of(base).merge(adapterNames.stream().map(this::entry).toList());
    }

    /** PEFT's {@code unmerge_adapter}: takes every merged adapter back out of the base weights. */
    public void unmerge() {
        TunerLayers.of(base).unmerge();
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
        TunerLayers.unloadLayers(base, adapters.values());
        adapters.clear();
        active = List.of();
        return base;
    }

    /** @return trainable and total parameter counts, as PEFT's {@code print_trainable_parameters} */
    public ParameterCount countParameters() {
        return ParameterCount.of(AdapterTensors.allParameters(base, adapters.values()));
    }

    /** @return the parameters that receive gradients: tensors of active, trainable adapters */
    public List<Parameter> trainableParameters() {
        return AdapterTensors.allParameters(base, adapters.values()).stream().filter(Parameter::requiresGradient).toList();
    }

    /**
     * @param adapterName an adapter
     * @return its tensors with in-memory and saved keys, tuner layers first (in tree order)
     */
    public List<AdapterTensor> tensors(String adapterName) {
        return AdapterTensors.tensors(base, entry(adapterName));
    }

    /**
     * @param adapterName an adapter
     * @return its parameters keyed in memory as PEFT's {@code named_parameters} (without the
     *     {@code base_model.model.} prefix)
     */
    public Map<String, Parameter> adapterParameters(String adapterName) {
        return AdapterTensors.byKey(tensors(adapterName));
    }

    private void refreshTrainability() {
        AdapterTensors.refreshTrainability(base, adapters.values(), active);
    }

    /** @return every tuner layer in the base model, in tree order */
    public List<TunerLayer> tunerLayers() {
        return TunerLayers.of(base).list();
    }

    /**
     * @param adapterName an adapter
     * @return the tensors that {@link #save} writes for it, keyed as on disk
     */
    public Map<String, NDArray> savedStateDict(String adapterName) {
        return entry(adapterName).method.savedStateDict(injection, adapterName, manager);
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
        String nameOrPath = baseModelInfo().flatMap(BaseModelInfo::nameOrPath).orElse(null);
        adapterNames.forEach(n -> injection.save(AdapterDirectory.location(dir, n, DEFAULT_ADAPTER), entry(n), nameOrPath));
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
        AdapterLoadErrors.naming(dir, () -> {
            AdapterDirectory.Contents contents = injection.readForLoading(dir);
            addAdapter(adapterName, contents.config());
            try {
                injection.fill(adapters.get(adapterName), contents);
            } catch (RuntimeException e) {
                deleteAdapter(adapterName);
                throw e;
            }
        });
        adapters.get(adapterName).trainable = trainable;
        refreshTrainability();
    }

    /**
     * @return the tuners' view of this model, which every {@link PeftMethod} call receives; for a
     *     tuner module's own helpers (running a named prompt adapter per call, say), not for users
     */
    public InjectionContext injectionContext() {
        return injection;
    }

    /** @return the adapter's entry (also for {@link ModelInjection}) */
    AdapterEntry entry(String adapterName) {
        AdapterEntry a = adapters.get(adapterName);
        if (a == null) {
            throw new PeftConfigException("no adapter named '" + adapterName + "'; adapters: " + adapters.keySet());
        }
        return a;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore, NDList inputs, boolean training, PairList<String, Object> params) {
        ForwardContext ctx = ForwardContext.current(params);
        if (!disabled) {
            for (String name : active) {
                ctx = adapters.get(name).method.contributeToForward(injection, name, parameterStore, inputs, training, ctx);
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
        AdapterRouting routing = AdapterRouting.validated(adapterNames, inputs.head().getShape().get(0), adapters.keySet());
        return forward(parameterStore, inputs, false, ForwardContext.empty().with(AdapterRouting.KEY, routing).addTo(null));
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
        return "PeftModel(adapters=" + adapters.keySet() + ", active=" + active + ", base=" + base.getClass().getSimpleName() + ")";
    }
}
