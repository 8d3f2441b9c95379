package io.github.peft4j.core;

import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import io.github.peft4j.core.module.BlockSurgery;
import io.github.peft4j.core.module.ModuleTree;
import io.github.peft4j.core.tuner.TunerLayer;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/** The checks and tree surgery behind {@link PeftModel}'s merge, unload and merge-and-unload. */
final class AdapterMerging {

    private AdapterMerging() {}

    /**
     * @throws PeftCompatibilityException if the adapter has layers that cannot merge, or lives
     *     outside layers only
     */
    static void checkMergeable(AdapterEntry adapter, List<TunerLayer> layers) {
        boolean hasLayer = false;
        for (TunerLayer layer : layers) {
            if (layer.adapterNames().contains(adapter.name)) {
                hasLayer = true;
                if (!layer.canMerge()) {
                    throw new PeftCompatibilityException("adapter '" + adapter.name + "' cannot be merged: "
                            + layer.getClass().getSimpleName() + " does not support merging");
                }
            }
        }
        if (!hasLayer && !adapter.registered.isEmpty()) {
            throw new PeftCompatibilityException("adapter '" + adapter.name + "' (" + adapter.config.peftType()
                    + ") has no layers to merge into the base weights");
        }
    }

    /** Puts every tuner layer's base layer back in its place and releases the adapters' tensors. */
    static void unloadLayers(Block base, Collection<AdapterEntry> adapters) {
        Map<Parameter, Boolean> baseParameters = new IdentityHashMap<>();
        for (Parameter p : ModuleTree.of(base).parameters().values()) {
            baseParameters.put(p, Boolean.TRUE);
        }
        for (AdapterEntry adapter : adapters) {
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
    }
}
