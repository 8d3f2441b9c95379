package io.github.peft4j.core;

import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import io.github.peft4j.core.module.BlockSurgery;
import io.github.peft4j.core.module.ModuleTree;
import io.github.peft4j.core.tuner.TunerLayer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/** The tuner layers of a base model at one moment: what {@link PeftModel} does to all of them at once. */
final class TunerLayers {

    private final List<TunerLayer> layers;

    private TunerLayers(List<TunerLayer> layers) {
        this.layers = layers;
    }

    /** @return the tuner layers of {@code base} now, in tree order */
    static TunerLayers of(Block base) {
        List<TunerLayer> out = new ArrayList<>();
        for (ModuleTree.Module m : ModuleTree.of(base).modules().values()) {
            if (m.block() instanceof TunerLayer layer) {
                out.add(layer);
            }
        }
        return new TunerLayers(out);
    }

    List<TunerLayer> list() {
        return layers;
    }

    void setActive(List<String> adapterNames) {
        layers.forEach(l -> l.setActiveAdapters(adapterNames));
    }

    void setDisabled(boolean disabled) {
        layers.forEach(l -> l.setAdaptersDisabled(disabled));
    }

    void delete(String adapterName) {
        layers.forEach(l -> l.deleteAdapter(adapterName));
    }

    boolean anyMerged() {
        return layers.stream().anyMatch(l -> !l.mergedAdapters().isEmpty());
    }

    boolean isMerged(String adapterName) {
        return layers.stream().anyMatch(l -> l.mergedAdapters().contains(adapterName));
    }

    /** Merges each adapter into every layer that holds it, after checking all of them can. */
    void merge(List<AdapterEntry> adapters) {
        adapters.forEach(this::checkMergeable);
        for (TunerLayer layer : layers) {
            List<String> here = adapters.stream().map(a -> a.name).filter(layer.adapterNames()::contains).toList();
            if (!here.isEmpty()) {
                layer.merge(here);
            }
        }
    }

    void unmerge() {
        layers.stream().filter(l -> !l.mergedAdapters().isEmpty()).forEach(TunerLayer::unmerge);
    }

    /**
     * @throws PeftCompatibilityException if the adapter has layers that cannot merge, or lives
     *     outside layers only
     */
    private void checkMergeable(AdapterEntry adapter) {
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
