package io.github.peft4j.core.tuner;

import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A layer a tuner put in place of a base layer: it keeps the base layer as its child
 * {@value BaseTunerLayer#BASE_LAYER} and holds one set of trainable tensors per adapter. The
 * {@link io.github.peft4j.core.PeftModel} finds these layers in the tree to activate, disable,
 * delete, merge, count and save adapters; tuners never need core to know their classes.
 *
 * <p>Most tuners extend {@link BaseTunerLayer}, which implements the bookkeeping.
 *
 * <pre>{@code
 * for (ModuleTree.Module m : ModuleTree.of(base).modules().values()) {
 *     if (m.block() instanceof TunerLayer layer) {
 *         layer.setActiveAdapters(List.of("retail"));
 *     }
 * }
 * }</pre>
 */
public interface TunerLayer extends Block {

    /** @return the wrapped base layer */
    Block baseLayer();

    /** @return the names of the adapters this layer holds */
    Set<String> adapterNames();

    /**
     * @param adapterName an adapter of this layer
     * @return its tensors, keyed by their in-memory names relative to this layer, as PEFT names
     *     them ({@code lora_A.default.weight}); empty if the layer does not hold the adapter
     */
    Map<String, Parameter> adapterParameters(String adapterName);

    /**
     * The name a tensor has on disk, relative to this layer. The default applies PEFT's rule
     * ({@link AdapterKeys#removeAdapterName}); tuners with special cases override it.
     *
     * @param inMemoryName a key of {@link #adapterParameters}
     * @param adapterName the adapter
     * @return the saved name
     */
    default String savedName(String inMemoryName, String adapterName) {
        return AdapterKeys.removeAdapterName(inMemoryName, adapterName);
    }

    /**
     * @param adapterNames the adapters whose contributions are summed in forward; names this layer
     *     does not hold are ignored
     */
    void setActiveAdapters(List<String> adapterNames);

    /** @return the active adapters this layer holds, in activation order */
    List<String> activeAdapters();

    /** @param disabled whether forward should use the base layer alone */
    void setAdaptersDisabled(boolean disabled);

    /** @return whether forward uses the base layer alone */
    boolean adaptersDisabled();

    /** @param adapterName the adapter to remove with its tensors */
    void deleteAdapter(String adapterName);

    /**
     * Releases every adapter tensor and forgets merge state; used when the layer leaves the model
     * ({@code unload}, {@code merge_and_unload}), where merged weights stay merged.
     */
    void discardAdapters();

    /** @return whether {@link #merge} is supported */
    default boolean canMerge() {
        return false;
    }

    /**
     * Folds the adapters into the base layer's weights, so forward costs what the base costs.
     *
     * @param adapterNames the adapters to merge (ones already merged are skipped)
     */
    default void merge(List<String> adapterNames) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot merge");
    }

    /** Takes every merged adapter back out of the base weights. */
    default void unmerge() {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot unmerge");
    }

    /** @return the merged adapters, in merge order */
    default List<String> mergedAdapters() {
        return List.of();
    }
}
