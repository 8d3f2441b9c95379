package io.github.peft4j.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.hooks.AdapterRouting;
import io.github.peft4j.core.module.EmbeddingLike;
import io.github.peft4j.core.module.LinearLike;
import io.github.peft4j.core.module.ModuleTree;
import io.github.peft4j.core.tuner.BaseTunerLayer;
import io.github.peft4j.core.tuner.Tensors;
import io.github.peft4j.core.tuner.TunerLayer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PEFT's {@code ModulesToSaveWrapper} for linear and embedding modules: each adapter gets its own
 * trainable copy of the module's parameters ({@code modules_to_save.<adapter>.weight} /
 * {@code .bias} in memory, saved as {@code <module>.weight} / {@code .bias}); the first active
 * adapter that has a copy is used in forward, the original otherwise. DJL blocks cannot be copied
 * generically, so the copy is of the parameters and the forward is the module's own arithmetic
 * (x·Wᵀ + b, or a table lookup); other module kinds are refused.
 *
 * <pre>{@code
 * LoraConfig config = LoraConfig.builder().targetModules("query", "value").modulesToSave("classifier").build();
 * }</pre>
 */
final class ModulesToSave extends BaseTunerLayer {

    private static final Logger LOG = LoggerFactory.getLogger(ModulesToSave.class);
    private static final String PREFIX = "modules_to_save.";

    private final LinearLike linear;
    private final EmbeddingLike embedding;
    /** The original parameter values while an adapter's copy is folded into the module. */
    private final Map<Parameter, NDArray> originals = new LinkedHashMap<>();

    private ModulesToSave(Block base, LinearLike linear, EmbeddingLike embedding) {
        super(base);
        this.linear = linear;
        this.embedding = embedding;
    }

    /**
     * PEFT's {@code _set_trainable}: wraps (or extends) every module whose path ends with one of
     * {@code names}.
     */
    static void wrap(PeftModel model, String adapterName, List<String> names) {
        if (names == null || names.isEmpty()) {
            return;
        }
        List<String> found = new ArrayList<>();
        ModuleTree tree = model.modules();
        List<String> tunerPaths = new ArrayList<>();
        for (ModuleTree.Module m : tree.modules().values()) {
            String path = m.path();
            if (path.isEmpty() || tunerPaths.stream().anyMatch(t -> path.startsWith(t + "."))) {
                continue;
            }
            if (m.block() instanceof TunerLayer) {
                tunerPaths.add(path);
            }
            if (names.stream().anyMatch(path::endsWith)) {
                found.add(path);
            }
        }
        if (found.isEmpty()) {
            LOG.warn("modules_to_save {} matched no module of the base model", names);
        }
        for (String path : found) {
            Block block = model.modules().get(path);
            ModulesToSave wrapper;
            if (block instanceof ModulesToSave existing) {
                wrapper = existing;
            } else if (block instanceof TunerLayer other) {
                throw new PeftCompatibilityException("modules_to_save: module '" + path + "' is already adapted by "
                        + other.getClass().getSimpleName() + "; a module cannot be both adapted and trained in full");
            } else {
                Optional<LinearLike> lin = LinearLike.of(block);
                Optional<EmbeddingLike> emb = lin.isPresent() ? Optional.empty() : EmbeddingLike.of(block);
                if (lin.isEmpty() && emb.isEmpty()) {
                    throw new PeftConfigException("modules_to_save: module '" + path + "' is a "
                            + block.getClass().getSimpleName() + "; peft4j trains linear and embedding modules in full"
                            + " (list the linear layers inside it instead)");
                }
                wrapper = model.replaceModule(path, b -> new ModulesToSave(b, lin.orElse(null), emb.orElse(null)));
                wrapper.setAdaptersDisabled(model.adaptersDisabled());
            }
            wrapper.addCopy(adapterName, model.manager());
        }
    }

    private void addCopy(String adapterName, NDManager manager) {
        for (Map.Entry<String, Parameter> e : originalParameters().entrySet()) {
            NDArray copy = e.getValue().getArray().duplicate();
            copy.attach(manager);
            addAdapterParameter(adapterName, PREFIX + adapterName + "." + e.getKey(), copy);
        }
    }

    /** The wrapped module's parameters under their Hugging Face names. */
    private Map<String, Parameter> originalParameters() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        if (linear != null) {
            out.put("weight", linear.weight());
            linear.bias().ifPresent(b -> out.put("bias", b));
        } else {
            out.put("weight", embedding.weight());
        }
        return out;
    }

    @Override
    public String savedName(String inMemoryName, String adapterName) {
        String prefix = PREFIX + adapterName + ".";
        return inMemoryName.startsWith(prefix) ? inMemoryName.substring(prefix.length()) : inMemoryName;
    }

    private Optional<String> activeCopy() {
        if (adaptersDisabled()) {
            return Optional.empty();
        }
        return activeAdapters().stream().filter(a -> !mergedAdapters().contains(a)).findFirst();
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        Optional<AdapterRouting> routing = adaptersDisabled() ? Optional.empty() : routing(params);
        if (routing.isPresent()) {
            return new NDList(mixedBatch(ps, inputs, training, params, routing.get()));
        }
        Optional<String> copy = mergedAdapters().isEmpty() ? activeCopy() : Optional.empty();
        if (copy.isEmpty()) {
            return baseLayer().forward(ps, inputs, training, params);
        }
        return new NDList(forwardWith(ps, copy.get(), inputs.head(), training));
    }

    private NDArray forwardWith(ParameterStore ps, String adapterName, NDArray x, boolean training) {
        Map<String, Parameter> p = adapterParameters(adapterName);
        NDArray w = ps.getValue(p.get(PREFIX + adapterName + ".weight"), x.getDevice(), training);
        if (embedding != null) {
            return x.getNDArrayInternal().embedding(x, w, SparseFormat.DENSE).head();
        }
        Parameter bias = p.get(PREFIX + adapterName + ".bias");
        NDArray b = bias == null ? null : ps.getValue(bias, x.getDevice(), training);
        return Linear.linear(x, linear.fanInFanOut() ? LoraLayer.local(w.transpose(), x) : w, b).head();
    }

    /** PEFT's mixed batch: each row group goes through its adapter's copy, {@code __base__} through the original. */
    private NDArray mixedBatch(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params,
            AdapterRouting routing) {
        NDArray x = inputs.head();
        List<String> names = routing.adapterNames();
        if (x.getShape().get(0) != names.size()) {
            throw new PeftConfigException("Length of `adapter_names` should be the same as the number of inputs, but got "
                    + names.size() + " and " + x.getShape().get(0) + " respectively.");
        }
        Map<String, List<Integer>> groups = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) {
            groups.computeIfAbsent(names.get(i), k -> new ArrayList<>()).add(i);
        }
        NDManager m = x.getManager();
        NDList parts = new NDList();
        long[] inverse = new long[names.size()];
        int position = 0;
        for (Map.Entry<String, List<Integer>> g : groups.entrySet()) {
            long[] idx = g.getValue().stream().mapToLong(Integer::longValue).toArray();
            for (int row : g.getValue()) {
                inverse[row] = position++;
            }
            NDArray sub = x.get(m.create(idx).toDevice(x.getDevice(), false));
            parts.add(hasAdapter(g.getKey())
                    ? forwardWith(ps, g.getKey(), sub, training)
                    : baseLayer().forward(ps, new NDList(sub), training, params).head());
        }
        NDArray sorted = parts.size() == 1 ? parts.head() : NDArrays.concat(parts, 0);
        return sorted.get(m.create(inverse).toDevice(x.getDevice(), false));
    }

    @Override
    public boolean canMerge() {
        return true;
    }

    /** Folds an adapter's copy into the module (what {@code merge_and_unload} leaves behind, as in PEFT). */
    @Override
    public void merge(List<String> adapterNames) {
        for (String name : adapterNames) {
            if (!hasAdapter(name) || mergedAdapters().contains(name)) {
                continue;
            }
            for (Map.Entry<String, Parameter> e : originalParameters().entrySet()) {
                NDArray current = e.getValue().getArray();
                originals.computeIfAbsent(e.getValue(), k -> current.duplicate());
                Tensors.assign(current, adapterParameters(name).get(PREFIX + name + "." + e.getKey()).getArray());
            }
            markMerged(name);
        }
    }

    @Override
    public void unmerge() {
        takeMergedForUnmerge();
        for (Map.Entry<Parameter, NDArray> e : originals.entrySet()) {
            Tensors.assign(e.getKey().getArray(), e.getValue());
            e.getValue().close();
        }
        originals.clear();
    }

    @Override
    public void discardAdapters() {
        super.discardAdapters();
        originals.values().forEach(NDArray::close);
        originals.clear();
    }
}
