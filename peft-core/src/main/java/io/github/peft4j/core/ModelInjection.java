package io.github.peft4j.core;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import io.github.peft4j.core.hooks.BaseModelInfo;
import io.github.peft4j.core.module.BlockSurgery;
import io.github.peft4j.core.module.ModuleTree;
import io.github.peft4j.core.targeting.ModuleKind;
import io.github.peft4j.core.targeting.TargetMatcher;
import io.github.peft4j.core.tuner.TunerLayer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

/** The {@link InjectionContext} of one {@link PeftModel}. */
final class ModelInjection implements InjectionContext {

    private final PeftModel model;

    ModelInjection(PeftModel model) {
        this.model = model;
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
    public List<PeftModel.AdapterTensor> tensors(String adapterName) {
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
