package io.github.peft4j.core.tuner;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import io.github.peft4j.core.InjectionContext;
import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.module.EmbeddingLike;
import io.github.peft4j.core.module.LinearLike;
import io.github.peft4j.core.module.ModuleTree;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PEFT's {@code ModulesToSaveWrapper} for linear and embedding modules, for every tuner: each
 * adapter gets its own trainable copy of the module's parameters ({@code modules_to_save.<adapter>.weight}
 * / {@code .bias} in memory, saved as {@code <module>.weight} / {@code .bias}); the first active
 * adapter that has a copy is used in forward, the original otherwise. DJL blocks cannot be copied
 * generically, so the copy is of the parameters and the forward is the module's own arithmetic
 * (x·Wᵀ + b, or a table lookup); other module kinds are refused. {@link io.github.peft4j.core.PeftModel}
 * applies it for any config that implements {@link io.github.peft4j.core.ModulesToSave}.
 *
 * <pre>{@code
 * LoraConfig config = LoraConfig.builder().targetModules("query", "value").modulesToSave("classifier").build();
 * PeftModel model = PeftModel.create(bert, config);   // "classifier" is now a ModulesToSaveWrapper
 * }</pre>
 */
public final class ModulesToSaveWrapper extends BaseTunerLayer {

    private static final Logger LOG = LoggerFactory.getLogger(ModulesToSaveWrapper.class);
    private static final String PREFIX = "modules_to_save.";

    private final LinearLike linear;
    private final EmbeddingLike embedding;
    /** The original parameter values while an adapter's copy is folded into the module. */
    private final Map<Parameter, NDArray> originals = new LinkedHashMap<>();

    private ModulesToSaveWrapper(Block base, LinearLike linear, EmbeddingLike embedding) {
        super(base);
        this.linear = linear;
        this.embedding = embedding;
    }

    /**
     * PEFT's {@code _set_trainable}: wraps (or extends) every module whose path ends with one of
     * {@code names}.
     *
     * @param model the model being adapted
     * @param adapterName the adapter that gets copies
     * @param names the config's {@code modules_to_save}; null or empty does nothing
     */
    public static void wrap(InjectionContext model, String adapterName, List<String> names) {
        if (names == null || names.isEmpty()) {
            return;
        }
        List<String> found = new ArrayList<>();
        List<String> tunerPaths = new ArrayList<>();
        for (ModuleTree.Module m : model.modules().modules().values()) {
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
            ModulesToSaveWrapper wrapper;
            if (block instanceof ModulesToSaveWrapper existing) {
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
                wrapper = model.replaceModule(path, b -> new ModulesToSaveWrapper(b, lin.orElse(null), emb.orElse(null)));
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

    @Override
    protected NDList forwardWith(ForwardCall call, List<String> adapters) {
        // a merged copy already is the module's weight: the original arithmetic computes it
        if (adapters.isEmpty() || !mergedAdapters().isEmpty()) {
            return forwardBase(call);
        }
        String adapterName = adapters.get(0);
        NDArray x = call.input();
        Map<String, Parameter> p = adapterParameters(adapterName);
        NDArray w = call.value(p.get(PREFIX + adapterName + ".weight"));
        if (embedding != null) {
            return x.getNDArrayInternal().embedding(x, w, SparseFormat.DENSE);
        }
        Parameter bias = p.get(PREFIX + adapterName + ".bias");
        NDArray b = bias == null ? null : call.value(bias);
        return Linear.linear(x, linear.fanInFanOut() ? Tensors.local(w.transpose(), x) : w, b);
    }

    @Override
    public boolean canMerge() {
        return true;
    }

    /** Folds an adapter's copy into the module (what {@code merge_and_unload} leaves behind, as in PEFT). */
    @Override
    protected void mergeAdapter(String adapterName) {
        for (Map.Entry<String, Parameter> e : originalParameters().entrySet()) {
            NDArray current = e.getValue().getArray();
            originals.computeIfAbsent(e.getValue(), k -> current.duplicate());
            Tensors.assign(current, adapterParameters(adapterName).get(PREFIX + adapterName + "." + e.getKey()).getArray());
        }
    }

    /** Unmerging runs most recent first; the originals come back with the first adapter merged. */
    @Override
    protected void unmergeAdapter(String adapterName) {
        if (mergedAdapters().size() > 1) {
            return;
        }
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
