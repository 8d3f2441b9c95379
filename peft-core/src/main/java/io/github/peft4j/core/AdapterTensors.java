package io.github.peft4j.core;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import io.github.peft4j.core.module.ModuleTree;
import io.github.peft4j.core.tuner.TunerLayer;
import io.github.peft4j.core.tuner.AdapterKeys;
import io.github.peft4j.core.tuner.Tensors;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a {@link PeftModel}'s adapter tensors are: listed with their in-memory and saved keys, and
 * PEFT's {@code get_peft_model_state_dict} / {@code set_peft_model_state_dict} for layer tuners.
 */
final class AdapterTensors {

    private static final Logger LOG = LoggerFactory.getLogger(AdapterTensors.class);

    private AdapterTensors() {}

    /** An adapter's tensors with in-memory and saved keys, tuner layers first (in tree order). */
    static List<AdapterTensor> tensors(Block base, AdapterEntry adapter) {
        List<AdapterTensor> out = new ArrayList<>();
        for (ModuleTree.Module m : ModuleTree.of(base).modules().values()) {
            if (m.block() instanceof TunerLayer layer) {
                for (Map.Entry<String, Parameter> e : layer.adapterParameters(adapter.name).entrySet()) {
                    String key = m.path().isEmpty() ? e.getKey() : m.path() + "." + e.getKey();
                    String saved = layer.savedName(e.getKey(), adapter.name);
                    String savedKey = AdapterKeys.withPrefix(m.path().isEmpty() ? saved : m.path() + "." + saved);
                    out.add(new AdapterTensor(key, savedKey, e.getValue()));
                }
            }
        }
        for (Map.Entry<String, AdapterEntry.RegisteredTensor> e : adapter.registered.entrySet()) {
            out.add(new AdapterTensor(e.getKey(), e.getValue().savedKey(), e.getValue().parameter()));
        }
        return out;
    }

    /** The manager of the base model's first initialised parameter: adapter tensors go to its device. */
    static NDManager managerOf(Block base) {
        for (Parameter p : base.getParameters().values()) {
            if (p.isInitialized()) {
                return p.getArray().getManager();
            }
        }
        throw new PeftConfigException(
                base.getClass().getSimpleName() + " has no initialised parameters: load or initialise the base model"
                        + " before wrapping it, or pass a manager to PeftModel.wrap");
    }

    /** Every parameter of the model once: the base tree's, then tensors registered by adapters. */
    static List<Parameter> allParameters(Block base, Collection<AdapterEntry> adapters) {
        Map<Parameter, Boolean> seen = new IdentityHashMap<>();
        List<Parameter> out = new ArrayList<>();
        for (Parameter p : ModuleTree.of(base).parameters().values()) {
            if (seen.put(p, Boolean.TRUE) == null) {
                out.add(p);
            }
        }
        for (AdapterEntry a : adapters) {
            for (AdapterEntry.RegisteredTensor t : a.registered.values()) {
                if (seen.put(t.parameter(), Boolean.TRUE) == null) {
                    out.add(t.parameter());
                }
            }
        }
        return out;
    }

    /** Tensors by in-memory key, as PEFT's {@code named_parameters}. */
    static Map<String, Parameter> byKey(List<AdapterTensor> adapterTensors) {
        Map<String, Parameter> out = new LinkedHashMap<>();
        for (AdapterTensor t : adapterTensors) {
            out.put(t.key(), t.parameter());
        }
        return out;
    }

    /** Freezes the base and every adapter but the active, trainable ones. */
    static void refreshTrainability(Block base, Collection<AdapterEntry> adapters, List<String> active) {
        base.freezeParameters(true);
        for (AdapterEntry a : adapters) {
            boolean train = a.trainable && active.contains(a.name);
            for (AdapterTensor t : tensors(base, a)) {
                t.parameter().freeze(!train);
            }
        }
    }

    /** Every tensor of the adapter under its saved key. */
    static Map<String, NDArray> saved(List<AdapterTensor> adapterTensors, String adapterName) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (AdapterTensor t : adapterTensors) {
            if (out.put(t.savedKey(), t.parameter().getArray()) != null) {
                throw new IllegalStateException("two tensors of adapter '" + adapterName + "' save as " + t.savedKey());
            }
        }
        return out;
    }

    /**
     * Copies each tensor of a file into the parameter with the same saved key (with or without the
     * {@code base_model.model.} prefix); see {@link InjectionContext#defaultLoadStateDict}.
     */
    static void load(List<AdapterTensor> adapterTensors, String adapterName, Map<String, NDArray> tensors,
            Path source) {
        Map<String, Parameter> expected = new LinkedHashMap<>();
        for (AdapterTensor t : adapterTensors) {
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
}
