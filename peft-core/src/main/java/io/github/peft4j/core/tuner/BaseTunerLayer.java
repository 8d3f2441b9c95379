package io.github.peft4j.core.tuner;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
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

/**
 * The bookkeeping every {@link TunerLayer} needs: the base layer as child
 * {@value #BASE_LAYER}, tensors registered per adapter, the active and merged adapters and the
 * disabled flag. A tuner's layer adds its tensors with {@link #addAdapterParameter} and writes
 * {@code forwardInternal} using {@link #adaptersForForward}.
 *
 * <pre>{@code
 * final class ScaleLayer extends BaseTunerLayer {
 *     ScaleLayer(Block base) { super(base); }
 *     void addAdapter(String name, NDArray scale) { addAdapterParameter(name, "scale." + name, scale); }
 *     protected NDList forwardInternal(ParameterStore ps, NDList x, boolean training, PairList<String, Object> p) {
 *         NDArray y = baseLayer().forward(ps, x, training, p).singletonOrThrow();
 *         for (String a : adaptersForForward()) y = y.mul(adapterParameters(a).get("scale." + a).getArray());
 *         return new NDList(y);
 *     }
 * }
 * }</pre>
 */
public abstract class BaseTunerLayer extends AbstractBlock implements TunerLayer {

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
     * Records merge state; a layer's {@code merge}/{@code unmerge} call these after changing the
     * base weights.
     *
     * @param adapterName the adapter now folded into the base weights
     */
    protected void markMerged(String adapterName) {
        merged.add(adapterName);
    }

    /** @return the merged adapters, most recent first, and forgets them (for unmerge) */
    protected List<String> takeMergedForUnmerge() {
        List<String> out = new ArrayList<>(merged);
        Collections.reverse(out);
        merged.clear();
        return out;
    }

    /**
     * The adapters whose contribution forward must add on top of the base output: none when
     * disabled, none already merged, otherwise the active ones.
     *
     * @return the adapters to apply, in activation order
     */
    protected List<String> adaptersForForward() {
        if (disabled) {
            return List.of();
        }
        return active.stream().filter(a -> !merged.contains(a)).toList();
    }

    /**
     * The per-row adapter routing of this forward call, if the caller sent one.
     *
     * @param params the forward call's params
     * @return the routing
     */
    protected Optional<AdapterRouting> routing(PairList<String, Object> params) {
        return ForwardContext.current(params).get(AdapterRouting.KEY);
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
