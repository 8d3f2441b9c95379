package io.github.peft4j.core;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import io.github.peft4j.core.hooks.BaseModelInfo;
import io.github.peft4j.core.io.AdapterDirectory;
import io.github.peft4j.core.module.BlockSurgery;
import io.github.peft4j.core.module.ModuleTree;
import io.github.peft4j.core.targeting.ModuleKind;
import io.github.peft4j.core.targeting.TargetMatcher;
import io.github.peft4j.core.tuner.ModulesToSaveWrapper;
import io.github.peft4j.core.tuner.TunerLayer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The {@link InjectionContext} of one {@link PeftModel}, and how the model runs a method's injection. */
final class ModelInjection implements InjectionContext {

    private static final Logger LOG = LoggerFactory.getLogger(ModelInjection.class);

    private final PeftModel model;

    ModelInjection(PeftModel model) {
        this.model = model;
    }

    /**
     * PEFT's {@code _prepare_adapter_config}: the adapter's method and the config it completes from
     * the model, both validated.
     */
    AdapterEntry prepare(String adapterName, PeftConfig config) {
        config.validate();
        PeftMethod method = PeftMethods.forType(config.peftType());
        PeftConfig prepared = method.prepareConfig(this, config);
        prepared.validate();
        return new AdapterEntry(adapterName, prepared, method);
    }

    /**
     * Injects a registered adapter's layers and its {@code modules_to_save}; on failure removes
     * what was injected, so the model is as it was.
     */
    void inject(AdapterEntry adapter) {
        try {
            adapter.method.inject(this, adapter.name, adapter.config);
            if (adapter.config instanceof ModulesToSave saved) {
                ModulesToSaveWrapper.wrap(this, adapter.name, saved.modulesToSave());
            }
        } catch (RuntimeException e) {
            TunerLayers.of(baseModel()).delete(adapter.name);
            adapter.method.remove(this, adapter.name);
            throw e;
        }
        if (tensors(adapter.name).isEmpty()) {
            LOG.warn("adapter '{}' ({}) added no tensors", adapter.name, adapter.config.peftType());
        }
    }

    /**
     * Reads an adapter directory for loading: sizes checked against its tensors file before anything
     * is allocated, and refused if injecting it would change the base (loading is data only).
     */
    AdapterDirectory.Contents readForLoading(Path dir) {
        AdapterDirectory.Contents contents = AdapterDirectory.readForLoading(dir);
        PeftMethods.forType(contents.config().peftType()).checkLoadable(contents.config(), dir);
        return contents;
    }

    /** Puts an adapter directory's tensors into an injected adapter. */
    void fill(AdapterEntry adapter, AdapterDirectory.Contents contents) {
        try (NDManager scratch = manager().newSubManager()) {
            Map<String, NDArray> tensors = contents.loadTensors(scratch);
            adapter.method.loadSavedStateDict(this, adapter.name, tensors, contents.weightsFile());
        }
    }

    /** Writes an adapter's config and saved state dict into its own directory. */
    void save(Path dir, AdapterEntry adapter, String baseNameOrPath) {
        PeftConfig config = adapter.method.savedConfig(this, adapter.name, adapter.config);
        if (config.baseModelNameOrPath() == null && baseNameOrPath != null) {
            config = config.withBaseModelNameOrPath(baseNameOrPath);
        }
        try (NDManager scratch = manager().newSubManager()) {
            AdapterDirectory.write(dir, config, adapter.method.savedStateDict(this, adapter.name, scratch));
        }
    }

    @Override
    public NDManager manager() {
        return model.manager();
    }

    @Override
    public Block baseModel() {
        return model.baseModel();
    }

    @Override
    public ModuleTree modules() {
        return model.modules();
    }

    @Override
    public Optional<BaseModelInfo> baseModelInfo() {
        return model.baseModelInfo();
    }

    @Override
    public Set<String> adapterNames() {
        return model.adapterNames();
    }

    @Override
    public List<TunerLayer> tunerLayers() {
        return model.tunerLayers();
    }

    @Override
    public PeftConfig config(String adapterName) {
        return model.config(adapterName);
    }

    @Override
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
        return matcher.select(candidates, path -> ModuleKind.of(tree.get(path), path.equals(head)));
    }

    @Override
    public <B extends Block> B replaceModule(String path, Function<Block, B> wrap) {
        ModuleTree.Module m = modules().find(path)
                .orElseThrow(() -> new PeftConfigException("no module '" + path + "' in the base model"));
        if (m.parent() == null) {
            throw new PeftConfigException("the root of the base model cannot be replaced");
        }
        B replacement = wrap.apply(m.block());
        if (replacement instanceof TunerLayer layer) {
            layer.setActiveAdapters(model.activeAdapters());
            layer.setAdaptersDisabled(model.adaptersDisabled());
        }
        BlockSurgery.replace(m.parent(), m.block(), replacement);
        return replacement;
    }

    @Override
    public void registerAdapterTensor(String adapterName, String key, String savedKey, Parameter parameter) {
        Map<String, AdapterEntry.RegisteredTensor> registered = model.entry(adapterName).registered;
        // Registering a parameter again moves it: its path changes when a later adapter wraps its module.
        registered.values().removeIf(t -> t.parameter() == parameter);
        registered.put(key, new AdapterEntry.RegisteredTensor(savedKey, parameter));
    }

    @Override
    public <T> T adapterState(String adapterName, Class<T> type, Supplier<T> create) {
        return type.cast(model.entry(adapterName).state.computeIfAbsent(type, k -> create.get()));
    }

    @Override
    public <T> Optional<T> findAdapterState(String adapterName, Class<T> type) {
        return Optional.ofNullable(model.entry(adapterName).state.get(type)).map(type::cast);
    }

    @Override
    public List<AdapterTensor> tensors(String adapterName) {
        return model.tensors(adapterName);
    }

    @Override
    public Map<String, NDArray> defaultSavedStateDict(String adapterName) {
        return AdapterTensors.saved(tensors(adapterName), adapterName);
    }

    @Override
    public void defaultLoadStateDict(String adapterName, Map<String, NDArray> tensors, Path source) {
        AdapterTensors.load(tensors(adapterName), adapterName, tensors, source);
    }
}
