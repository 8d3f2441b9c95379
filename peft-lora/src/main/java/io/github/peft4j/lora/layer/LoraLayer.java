package io.github.peft4j.lora.layer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.module.DequantizableLinear;
import io.github.peft4j.core.module.EmbeddingLike;
import io.github.peft4j.core.module.LinearLike;
import io.github.peft4j.core.tuner.AdditiveTunerLayer;
import io.github.peft4j.core.tuner.ForwardCall;
import io.github.peft4j.core.tuner.Tensors;
import io.github.peft4j.lora.init.InitLoraWeights;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * What LoRA layers share, as PEFT's {@code LoraLayer}: per-adapter rank, alpha, scaling and dropout,
 * and each adapter's {@link LoraVariant} (plain LoRA or DoRA), which writes the adapter's forward
 * term and its merge. The in-memory tensor names are PEFT's ({@code lora_A.<adapter>.weight},
 * {@code lora_embedding_A.<adapter>}, {@code lora_magnitude_vector.<adapter>.weight}); the
 * magnitude is saved without {@code .weight} as PEFT saves it.
 *
 * <pre>{@code
 * LoraLayer layer = (LoraLayer) model.modules().get("model.layers.0.self_attn.q_proj");
 * double scaling = layer.settings("default").scaling();
 * NDArray delta = layer.deltaWeight("default"); // what merge adds to the base weight
 * }</pre>
 */
public abstract sealed class LoraLayer extends AdditiveTunerLayer permits LoraLinear, LoraEmbedding {

    private final Map<String, LoraSettings> settings = new LinkedHashMap<>();
    private final Map<String, LoraVariant> variants = new HashMap<>();

    /** @param baseLayer the adapted layer */
    LoraLayer(Block baseLayer) {
        super(baseLayer);
    }

    /**
     * PEFT's {@code _create_new_module}: the LoRA layer for a module.
     *
     * @param block a linear layer (DJL {@code Linear}, a {@link LinearLike}, a quantized
     *     {@link DequantizableLinear}) or an embedding ({@link EmbeddingLike})
     * @param path its path, for messages
     * @return a new LoRA layer wrapping it, with no adapter yet
     * @throws PeftCompatibilityException for other modules, tuner layers of other methods included
     */
    public static LoraLayer wrap(Block block, String path) {
        if (block instanceof DequantizableLinear quantized) {
            return new LoraLinear(block, new QuantizedBase(block, quantized));
        }
        Optional<LinearLike> linear = LinearLike.of(block);
        if (linear.isPresent()) {
            return new LoraLinear(block, new FullPrecisionBase(linear.get()));
        }
        Optional<EmbeddingLike> embedding = EmbeddingLike.of(block);
        if (embedding.isPresent()) {
            return new LoraEmbedding(block, embedding.get());
        }
        throw new PeftCompatibilityException("Target module '" + path + "' (" + block.getClass().getName()
                + ") is not supported. LoRA supports linear layers (DJL Linear or blocks implementing LinearLike,"
                + " such as GPT-2's Conv1D) and embeddings (DJL Embedding or blocks implementing EmbeddingLike)");
    }

    /**
     * PEFT's {@code update_layer}: creates the adapter's tensors with {@code manager}, initialised as
     * {@code init} says (PiSSA and OLoRA also rewrite the base weight), and its variant.
     *
     * @param adapterName the new adapter
     * @param settings its settings for this layer
     * @param init its initialisation
     * @param manager the manager adapter tensors are created with
     */
    public abstract void addAdapter(String adapterName, LoraSettings settings, InitLoraWeights init, NDManager manager);

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
     * @param adapterName an adapter
     * @return its A: [r, in] (or [r, num_embeddings])
     */
    public NDArray loraA(String adapterName) {
        return adapterArray(adapterName, nameOfA(adapterName));
    }

    /**
     * @param adapterName an adapter
     * @return its B: [out, r] (or [embedding_dim, r])
     */
    public NDArray loraB(String adapterName) {
        return adapterArray(adapterName, nameOfB(adapterName));
    }

    /**
     * Replaces A and B of an adapter in place (the parameters keep their identity), as
     * {@code add_weighted_adapter} fills a new adapter.
     *
     * @param adapterName the adapter
     * @param a the new A, same shape
     * @param b the new B, same shape
     */
    public void assignAB(String adapterName, NDArray a, NDArray b) {
        Tensors.assign(loraA(adapterName), a);
        Tensors.assign(loraB(adapterName), b);
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

    /** @return the axis of the stored base weight that indexes output units (DoRA's magnitude) */
    abstract int outAxis();

    /** @return the in-memory name of an adapter's A (lora_A / lora_embedding_A) */
    abstract String nameOfA(String adapterName);

    /** @return the in-memory name of an adapter's B (lora_B / lora_embedding_B) */
    abstract String nameOfB(String adapterName);

    /** @return B·A·x·scaling for this layer kind (plain LoRA's forward term) */
    abstract NDArray loraTerm(ForwardCall call, String adapterName);

    /** @return the DoRA variant of this layer kind for an adapter */
    abstract DoraVariant doraVariant(String adapterName);

    /** Registers a new adapter's A and B. */
    void addAB(String adapterName, NDArray a, NDArray b) {
        addAdapterParameter(adapterName, nameOfA(adapterName), a);
        addAdapterParameter(adapterName, nameOfB(adapterName), b);
    }

    /** Registers one more tensor of an adapter (lora_B's bias, DoRA's magnitude). */
    void addTensor(String adapterName, String name, NDArray array) {
        addAdapterParameter(adapterName, name, array);
    }

    /** Records an adapter's settings and starts its variant, the adapter's tensors being registered. */
    void startVariant(String adapterName, LoraSettings s) {
        settings.put(adapterName, s);
        LoraVariant variant = s.useDora() ? doraVariant(adapterName) : new PlainLora(this, adapterName);
        variants.put(adapterName, variant);
        variant.init();
    }

    /** @return a tensor of an adapter */
    NDArray array(String adapterName, String name) {
        return adapterArray(adapterName, name);
    }

    /** @return a tensor of an adapter as a forward call computes with it */
    NDArray tensor(ForwardCall call, String adapterName, String name) {
        return call.value(adapterParameters(adapterName).get(name));
    }

    /** @return scaling·B·A of an adapter in the stored layout, as {@code type}, on the caller's scope */
    NDArray deltaWeightAs(String adapterName, DataType type) {
        return deltaOf(loraA(adapterName), loraB(adapterName), settings(adapterName).scaling()).toType(type, false);
    }

    /**
     * The dtype adapter tensors get: the base weight's float type, with half precision upcast to F32
     * as PEFT's {@code autocast_adapter_dtype} does.
     */
    DataType adapterDType() {
        return adapterDTypeFor(baseWeight().getArray().getDataType());
    }

    static DataType adapterDTypeFor(DataType baseWeightType) {
        return baseWeightType == DataType.FLOAT64 ? DataType.FLOAT64 : DataType.FLOAT32;
    }

    @Override
    protected NDArray delta(ForwardCall call, String adapter, NDArray resultSoFar) {
        return variants.get(adapter).delta(call, resultSoFar);
    }

    @Override
    protected void checkMixedBatch(String adapterName) {
        variants.get(adapterName).checkMixedBatch();
    }

    @Override
    public boolean canMerge() {
        return true;
    }

    @Override
    protected void mergeAdapter(String adapterName) {
        changeBaseWeight(adapterName, variants.get(adapterName)::merge);
    }

    @Override
    protected void unmergeAdapter(String adapterName) {
        changeBaseWeight(adapterName, variants.get(adapterName)::unmerge);
    }

    /**
     * Applies a merge or unmerge of an adapter to the base weight, in place, temporaries scoped.
     *
     * @param adapterName the adapter
     * @param change the variant's change
     */
    void changeBaseWeight(String adapterName, Consumer<NDArray> change) {
        changeScoped(baseWeight().getArray(), change);
    }

    /**
     * @param weight a weight
     * @param change an in-place change of it, whose temporaries are closed when it is done
     */
    static void changeScoped(NDArray weight, Consumer<NDArray> change) {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            change.accept(weight);
        }
    }

    @Override
    public String savedName(String inMemoryName, String adapterName) {
        if (inMemoryName.equals(DoraVariant.nameOfMagnitude(adapterName))) {
            // PEFT kept the pre-refactor key of DoRA's magnitude: no ".weight"
            return DoraVariant.MAGNITUDE;
        }
        return super.savedName(inMemoryName, adapterName);
    }

    @Override
    public void deleteAdapter(String adapterName) {
        super.deleteAdapter(adapterName);
        settings.remove(adapterName);
        LoraVariant variant = variants.remove(adapterName);
        if (variant != null) {
            variant.close();
        }
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
