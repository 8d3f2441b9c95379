package io.github.peft4j.lora;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.hooks.AdapterRouting;
import io.github.peft4j.core.tuner.BaseTunerLayer;
import io.github.peft4j.core.tuner.Tensors;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * What LoRA layers share, as PEFT's {@code LoraLayer}: per-adapter rank, alpha, scaling, dropout
 * and variant, the DoRA weight norms cached while merged, and the mixed-batch forward. The in-memory
 * tensor names are PEFT's ({@code lora_A.<adapter>.weight}, {@code lora_embedding_A.<adapter>},
 * {@code lora_magnitude_vector.<adapter>.weight}); the magnitude is saved without {@code .weight} as
 * PEFT saves it.
 *
 * <pre>{@code
 * LoraLayer layer = (LoraLayer) model.modules().get("model.layers.0.self_attn.q_proj");
 * double scaling = layer.settings("default").scaling();
 * NDArray delta = layer.deltaWeight("default"); // what merge adds to the base weight
 * }</pre>
 */
public abstract sealed class LoraLayer extends BaseTunerLayer permits LoraLinear, LoraEmbedding {

    static final String MAGNITUDE = "lora_magnitude_vector";

    private final Map<String, LoraSettings> settings = new LinkedHashMap<>();
    /** DoRA weight norms taken when an adapter was merged; unmerge needs the norm of the original weight. */
    private final Map<String, NDArray> mergedNorms = new HashMap<>();

    /** @param baseLayer the adapted layer */
    LoraLayer(Block baseLayer) {
        super(baseLayer);
    }

    /**
     * @param adapterName an adapter of this layer
     * @return its resolved settings
     */
    public LoraSettings settings(String adapterName) {
        LoraSettings s = settings.get(adapterName);
        if (s == null) {
            throw new PeftConfigException("layer has no LoRA adapter '" + adapterName + "'; it holds " + settings.keySet());
        }
        return s;
    }

    /** @return the settings of every adapter of this layer */
    public Map<String, LoraSettings> allSettings() {
        return Collections.unmodifiableMap(settings);
    }

    /**
     * The change merging {@code adapterName} makes to the base weight, in the base weight's layout:
     * {@code scaling · B·A} (transposed for fan_in_fan_out layers and embeddings), as PEFT's
     * {@code get_delta_weight}. For DoRA adapters this is the LoRA part only.
     *
     * @param adapterName an adapter
     * @return a new array on the model's manager; the caller closes it
     */
    public NDArray deltaWeight(String adapterName) {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray delta = deltaOf(loraA(adapterName), loraB(adapterName), settings(adapterName).scaling());
            NDScope.unregister(delta);
            return delta;
        }
    }

    /**
     * @param a lora_A [r, in]
     * @param b lora_B [out, r]
     * @param scaling the adapter's scaling
     * @return scaling·B·A laid out as the base weight is stored
     */
    abstract NDArray deltaOf(NDArray a, NDArray b, double scaling);

    /** @return the base weight parameter (the one merging changes) */
    abstract Parameter baseWeight();

    /** @return the in-memory name of an adapter's A (lora_A / lora_embedding_A) */
    abstract String nameOfA(String adapterName);

    /** @return the in-memory name of an adapter's B (lora_B / lora_embedding_B) */
    abstract String nameOfB(String adapterName);

    /** @return the name of the DoRA magnitude vector of an adapter */
    static String nameOfMagnitude(String adapterName) {
        return MAGNITUDE + "." + adapterName + ".weight";
    }

    void putSettings(String adapterName, LoraSettings s) {
        settings.put(adapterName, s);
    }

    /** @return A of an adapter: [r, in] (or [r, num_embeddings]) */
    NDArray loraA(String adapterName) {
        return adapterArray(adapterName, nameOfA(adapterName));
    }

    /** @return B of an adapter: [out, r] (or [embedding_dim, r]) */
    NDArray loraB(String adapterName) {
        return adapterArray(adapterName, nameOfB(adapterName));
    }

    /**
     * Replaces A and B of an adapter in place (the parameters keep their identity).
     *
     * @param adapterName the adapter
     * @param a the new A, same shape
     * @param b the new B, same shape
     */
    void assignAB(String adapterName, NDArray a, NDArray b) {
        Tensors.assign(loraA(adapterName), a);
        Tensors.assign(loraB(adapterName), b);
    }

    /**
     * @param ps the forward call's store
     * @param adapterName the adapter
     * @param name a tensor name of it
     * @param device the device of the input
     * @param training whether this is a training forward
     * @return the value to compute with
     */
    NDArray value(ParameterStore ps, String adapterName, String name, Device device, boolean training) {
        return ps.getValue(adapterParameters(adapterName).get(name), device, training);
    }

    /**
     * The dtype adapter tensors get: the base weight's float type, with half precision upcast to F32
     * as PEFT's {@code autocast_adapter_dtype} does.
     */
    DataType adapterDType() {
        DataType t = baseWeight().getArray().getDataType();
        return t == DataType.FLOAT64 ? DataType.FLOAT64 : DataType.FLOAT32;
    }

    @Override
    public String savedName(String inMemoryName, String adapterName) {
        if (inMemoryName.equals(nameOfMagnitude(adapterName))) {
            // PEFT kept the pre-refactor key of DoRA's magnitude: no ".weight"
            return MAGNITUDE;
        }
        return super.savedName(inMemoryName, adapterName);
    }

    @Override
    public void deleteAdapter(String adapterName) {
        super.deleteAdapter(adapterName);
        settings.remove(adapterName);
        NDArray norm = mergedNorms.remove(adapterName);
        if (norm != null) {
            norm.close();
        }
    }

    @Override
    public void discardAdapters() {
        super.discardAdapters();
        mergedNorms.values().forEach(NDArray::close);
        mergedNorms.clear();
    }

    @Override
    public boolean canMerge() {
        return true;
    }

    @Override
    public void merge(List<String> adapterNames) {
        for (String name : adapterNames) {
            if (mergedAdapters().contains(name) || !hasAdapter(name)) {
                continue;
            }
            mergeOne(name);
            markMerged(name);
        }
    }

    @Override
    public void unmerge() {
        for (String name : takeMergedForUnmerge()) {
            unmergeOne(name);
        }
    }

    /** Folds one adapter into the base weight. */
    abstract void mergeOne(String adapterName);

    /** Takes one merged adapter back out of the base weight. */
    abstract void unmergeOne(String adapterName);

    void cacheMergedNorm(String adapterName, NDArray norm) {
        NDArray old = mergedNorms.put(adapterName, norm);
        if (old != null) {
            old.close();
        }
    }

    NDArray takeMergedNorm(String adapterName) {
        NDArray norm = mergedNorms.remove(adapterName);
        if (norm == null) {
            throw new IllegalStateException("no cached DoRA weight norm for merged adapter '" + adapterName + "'");
        }
        return norm;
    }

    /**
     * PEFT's {@code _check_forward_args} for a mixed batch.
     *
     * @param rows the batch size
     * @param routing the adapter per row
     * @param training whether this is a training forward
     */
    void checkRouting(long rows, AdapterRouting routing, boolean training) {
        List<String> names = routing.adapterNames();
        if (rows != names.size()) {
            throw new PeftConfigException("Length of `adapter_names` should be the same as the number of inputs, but got "
                    + names.size() + " and " + rows + " respectively.");
        }
        if (training) {
            throw new PeftCompatibilityException("Cannot pass `adapter_names` when the model is in training mode.");
        }
        if (!mergedAdapters().isEmpty()) {
            throw new PeftCompatibilityException("Cannot pass `adapter_names` when there are merged adapters, please"
                    + " call `unmerge_adapter` first.");
        }
        for (String name : names) {
            LoraSettings s = settings.get(name);
            if (s != null && s.useDora()) {
                throw new PeftCompatibilityException("Cannot pass `adapter_names` when DoRA is enabled (adapter '"
                        + name + "').");
            }
        }
    }

    /**
     * PEFT's {@code _mixed_batch_forward}: each group of rows that names the same adapter gets that
     * adapter's contribution, computed on its own sub-batch; rows of {@value AdapterRouting#BASE} or
     * of adapters this layer does not hold get none.
     *
     * @param x the input, batch first
     * @param result the base output, batch first
     * @param routing the adapter per row
     * @param delta computes an adapter's contribution for a sub-batch of inputs
     * @return the output
     */
    NDArray mixedBatch(NDArray x, NDArray result, AdapterRouting routing, BiFunction<String, NDArray, NDArray> delta) {
        Map<String, List<Integer>> groups = new LinkedHashMap<>();
        List<String> names = routing.adapterNames();
        for (int i = 0; i < names.size(); i++) {
            groups.computeIfAbsent(names.get(i), k -> new ArrayList<>()).add(i);
        }
        NDManager m = x.getManager();
        Shape rowShape = result.getShape().slice(1);
        NDList parts = new NDList();
        long[] inverse = new long[names.size()];
        int position = 0;
        for (Map.Entry<String, List<Integer>> g : groups.entrySet()) {
            List<Integer> rows = g.getValue();
            long[] idx = rows.stream().mapToLong(Integer::longValue).toArray();
            for (int row : rows) {
                inverse[row] = position++;
            }
            if (!settings.containsKey(g.getKey())) {
                parts.add(m.zeros(new Shape(idx.length).addAll(rowShape), result.getDataType(), result.getDevice()));
                continue;
            }
            NDArray sub = x.get(m.create(idx).toDevice(x.getDevice(), false));
            parts.add(delta.apply(g.getKey(), sub).toType(result.getDataType(), false));
        }
        NDArray sorted = parts.size() == 1 ? parts.head() : NDArrays.concat(parts, 0);
        return result.add(sorted.get(m.create(inverse).toDevice(x.getDevice(), false)));
    }

    /**
     * Moves an intermediate result computed from parameters (which attaches to their long-lived
     * manager) to the manager of the forward call's input.
     *
     * @param computed the intermediate
     * @param input an array of the forward call
     * @return {@code computed}
     */
    static NDArray local(NDArray computed, NDArray input) {
        if (computed.getManager() != input.getManager()) {
            computed.attach(input.getManager());
        }
        return computed;
    }
}
