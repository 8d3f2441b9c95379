package io.github.peft4j.core.tuner;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.hooks.AdapterRouting;
import io.github.peft4j.core.hooks.ForwardContext;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The template every {@link TunerLayer} follows, as PEFT's {@code BaseTunerLayer}: the base layer
 * stays child {@value #BASE_LAYER}, tensors are registered per adapter, and one final forward
 * decides what runs — the base alone when adapters are disabled, each row group's adapter under a
 * mixed batch (PEFT's {@code adapter_names}, checked here once for every tuner), otherwise the active
 * adapters that are not merged. A tuner writes only {@link #forwardWith} (or, for additive
 * techniques, {@link AdditiveTunerLayer#delta}) and, if it can merge, {@link #mergeAdapter} /
 * {@link #unmergeAdapter}.
 *
 * <pre>{@code
 * final class ScaleLayer extends BaseTunerLayer {
 *     ScaleLayer(Block base) { super(base); }
 *     void addAdapter(String name, NDArray scale) { addAdapterParameter(name, "scale." + name, scale); }
 *     protected NDList forwardWith(ForwardCall call, List<String> adapters) {
 *         NDArray y = forwardBase(call).singletonOrThrow();
 *         for (String a : adapters) y = y.mul(call.value(adapterParameters(a).get("scale." + a)));
 *         return new NDList(y);
 *     }
 * }
 * }</pre>
 */
public abstract class BaseTunerLayer extends AbstractBlock implements TunerLayer {

    private static final Logger LOG = LoggerFactory.getLogger(BaseTunerLayer.class);

    /** The child name of the wrapped layer, as in Hugging Face PEFT. */
    public static final String BASE_LAYER = "base_layer";

    private final Block baseLayer;
    private final Map<String, Map<String, Parameter>> tensors = new LinkedHashMap<>();
    private final List<String> merged = new ArrayList<>();
    private List<String> active = List.of();
    private boolean disabled;

    /** @param baseLayer the layer being adapted; it stays a child and keeps its parameters */
    protected BaseTunerLayer(Block baseLayer) {
        this.baseLayer = addChildBlock(BASE_LAYER, baseLayer);
    }

    @Override
    public Block baseLayer() {
        return baseLayer;
    }

    @Override
    public Set<String> adapterNames() {
        return Collections.unmodifiableSet(tensors.keySet());
    }

    @Override
    public Map<String, Parameter> adapterParameters(String adapterName) {
        Map<String, Parameter> map = tensors.get(adapterName);
        return map == null ? Map.of() : Collections.unmodifiableMap(map);
    }

    /**
     * @param adapterName the adapter
     * @return whether this layer holds it
     */
    public boolean hasAdapter(String adapterName) {
        return tensors.containsKey(adapterName);
    }

    /**
     * Registers a tensor of an adapter; the array must already hold its initial values (created
     * with the model's manager, never lazily by a trainer).
     *
     * @param adapterName the adapter
     * @param inMemoryName the tensor's name relative to this layer, with the adapter name in it
     * @param array its value
     * @return the parameter
     */
    protected Parameter addAdapterParameter(String adapterName, String inMemoryName, NDArray array) {
        if (parameters.containsKey(inMemoryName)) {
            throw new PeftConfigException("tensor '" + inMemoryName + "' already exists in this layer");
        }
        Parameter p = Parameter.builder()
                .setName(inMemoryName)
                .setType(Parameter.Type.WEIGHT)
                .optArray(array)
                .build();
        addParameter(p);
        tensors.computeIfAbsent(adapterName, k -> new LinkedHashMap<>()).put(inMemoryName, p);
        return p;
    }

    /**
     * @param adapterName the adapter
     * @param inMemoryName a tensor name given to {@link #addAdapterParameter}
     * @return its current value
     */
    protected NDArray adapterArray(String adapterName, String inMemoryName) {
        Parameter p = adapterParameters(adapterName).get(inMemoryName);
        if (p == null) {
            throw new IllegalStateException("adapter '" + adapterName + "' has no tensor '" + inMemoryName + "'");
        }
        return p.getArray();
    }

    @Override
    public void deleteAdapter(String adapterName) {
        if (merged.contains(adapterName)) {
            throw new PeftConfigException("adapter '" + adapterName + "' is merged; unmerge before deleting it");
        }
        Map<String, Parameter> removed = tensors.remove(adapterName);
        if (removed == null) {
            return;
        }
        for (Map.Entry<String, Parameter> e : removed.entrySet()) {
            parameters.remove(e.getKey());
            e.getValue().close();
        }
        active = active.stream().filter(a -> !a.equals(adapterName)).toList();
    }

    @Override
    public void discardAdapters() {
        merged.clear();
        for (String name : List.copyOf(tensors.keySet())) {
            deleteAdapter(name);
        }
    }

    @Override
    public void setActiveAdapters(List<String> adapterNames) {
        active = adapterNames.stream().filter(tensors::containsKey).toList();
    }

    @Override
    public List<String> activeAdapters() {
        return active;
    }

    @Override
    public void setAdaptersDisabled(boolean disabled) {
        this.disabled = disabled;
    }

    @Override
    public boolean adaptersDisabled() {
        return disabled;
    }

    @Override
    public List<String> mergedAdapters() {
        return Collections.unmodifiableList(merged);
    }

    /**
     * Folds the adapters into the base weights, most recent last; adapters already merged or not
     * held by this layer are skipped.
     */
    @Override
    public final void merge(List<String> adapterNames) {
        List<String> toMerge = adapterNames.stream().filter(n -> hasAdapter(n) && !merged.contains(n)).toList();
        if (mergesOneAdapterAtATime() && !toMerge.isEmpty()) {
            if (toMerge.size() > 1) {
                throw new PeftCompatibilityException("Trying to merge " + toMerge + " but " + getClass().getSimpleName()
                        + " does not allow merging more than one adapter at a time");
            }
            if (!merged.isEmpty()) {
                LOG.warn("Already merged with {}. Unmerging first.", merged);
                unmerge();
            }
        }
        for (String name : toMerge) {
            mergeAdapter(name);
            merged.add(name);
        }
    }

    /**
     * Whether merging replaces what is merged rather than adding to it (LN-tuning, BitFit: the base
     * parameters become one adapter's copies). Then merging several at once is refused and merging
     * another first unmerges the one merged, as PEFT's {@code LNTuningLayer.merge} does.
     *
     * @return false unless the tuner says so
     */
    protected boolean mergesOneAdapterAtATime() {
        return false;
    }

    /** Takes the merged adapters back out of the base weights, most recent first. */
    @Override
    public final void unmerge() {
        while (!merged.isEmpty()) {
            String name = merged.get(merged.size() - 1);
            unmergeAdapter(name);
            merged.remove(merged.size() - 1);
        }
    }

    /**
     * Changes the base layer's weights so that the base alone computes what base + adapter did.
     * Only called when {@link #canMerge()} is true.
     *
     * @param adapterName an adapter of this layer, not merged yet
     */
    protected void mergeAdapter(String adapterName) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot merge");
    }

    /**
     * Undoes {@link #mergeAdapter} for the most recently merged adapter.
     *
     * @param adapterName that adapter
     */
    protected void unmergeAdapter(String adapterName) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot unmerge");
    }

    /**
     * The adapters whose contribution forward must add on top of the base output: none when
     * disabled, none already merged, otherwise the active ones.
     *
     * @return the adapters to apply, in activation order
     */
    private List<String> adaptersForForward() {
        if (disabled) {
            return List.of();
        }
        return active.stream().filter(a -> !merged.contains(a)).toList();
    }

    /**
     * The one forward of every tuner layer; tuners implement {@link #forwardWith}.
     */
    @Override
    protected final NDList forwardInternal(
            ParameterStore parameterStore, NDList inputs, boolean training, PairList<String, Object> params) {
        ForwardCall call = new ForwardCall(parameterStore, inputs, training, params);
        if (disabled) {
            return forwardBase(call);
        }
        Optional<AdapterRouting> routing = ForwardContext.current(params).get(AdapterRouting.KEY);
        if (routing.isPresent()) {
            checkMixedBatch(call, routing.get());
            if (ForwardContext.current(params).get(RowGather.KEY).isPresent()) {
                return GatheredBatch.forward(this, call, routing.get());
            }
            return MixedBatch.apply(inputs, routing.get(), (adapter, rows) ->
                    forwardWith(call.withInputs(rows), hasAdapter(adapter) ? List.of(adapter) : List.of()));
        }
        return forwardWith(call, adaptersForForward());
    }

    /**
     * The layer's output with these adapters applied on top of the base layer.
     *
     * @param call the forward call (a sub-batch of it under a mixed batch)
     * @param adapters the adapters to apply, in activation order: held by this layer, not merged;
     *     empty means the base layer alone
     * @return the output
     */
    protected abstract NDList forwardWith(ForwardCall call, List<String> adapters);

    /**
     * @param call a forward call
     * @return the wrapped base layer's output for it
     */
    protected final NDList forwardBase(ForwardCall call) {
        return baseLayer.forward(call.parameterStore(), call.inputs(), call.training(), call.params());
    }

    /**
     * Refuses an adapter that cannot run in a mixed batch (PEFT's {@code _check_forward_args} for
     * DoRA, say). The default accepts every adapter.
     *
     * @param adapterName an adapter named by the routing that this layer holds
     * @throws PeftCompatibilityException if it cannot run per row
     */
    protected void checkMixedBatch(String adapterName) {}

    /** PEFT's {@code _check_forward_args}, once for every tuner. */
    private void checkMixedBatch(ForwardCall call, AdapterRouting routing) {
        List<String> names = routing.adapterNames();
        long rows = call.input().getShape().get(0);
        if (rows != names.size()) {
            throw new PeftConfigException("mixed batch: " + names.size() + " adapter names for a batch of " + rows
                    + " rows; give exactly one name per row");
        }
        if (call.training()) {
            throw new PeftCompatibilityException("a mixed batch (one adapter per row) is for inference;"
                    + " train with setActiveAdapters instead");
        }
        if (!merged.isEmpty()) {
            throw new PeftCompatibilityException("a mixed batch cannot run while adapters " + merged
                    + " are merged into " + this + "; call unmerge() first");
        }
        names.stream().distinct().filter(this::hasAdapter).forEach(this::checkMixedBatch);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        baseLayer.initialize(manager, dataType, inputShapes);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return baseLayer.getOutputShapes(inputShapes);
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "(adapters=" + tensors.keySet() + ", base=" + baseLayer.getClass().getSimpleName() + ")";
    }
}
