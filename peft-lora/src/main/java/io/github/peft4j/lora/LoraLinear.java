package io.github.peft4j.lora;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.hooks.AdapterRouting;
import io.github.peft4j.core.module.BlockSurgery;
import io.github.peft4j.core.module.DequantizableLinear;
import io.github.peft4j.core.module.LinearLike;
import io.github.peft4j.core.tuner.Tensors;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * LoRA on a linear layer, PEFT's {@code lora.Linear}: {@code y = base(x) + B(A(dropout(x)))·scaling}
 * summed over the active adapters, dropout on the LoRA path only and only in training. Both weight
 * layouts are handled: [out, in] (DJL {@code Linear}, {@code torch.nn.Linear}) and [in, out] (GPT-2
 * {@code Conv1D}, {@code fan_in_fan_out}); A is always [r, in] and B [out, r]. DoRA adapters add
 * PEFT's magnitude/direction term instead.
 *
 * <pre>{@code
 * PeftModel model = PeftModel.create(base, LoraConfig.builder().targetModules("q_proj").build());
 * LoraLinear q = (LoraLinear) model.modules().get("model.layers.0.self_attn.q_proj");
 * NDArray a = q.adapterParameters("default").get("lora_A.default.weight").getArray(); // [8, in]
 * }</pre>
 */
public final class LoraLinear extends LoraLayer {

    private static final Logger LOG = LoggerFactory.getLogger(LoraLinear.class);

    /** The full-precision base's weight view; null while the base is quantized. */
    private LinearLike linear;
    /** The quantized base (QLoRA); null for a full-precision base. */
    private DequantizableLinear quantized;

    /**
     * @param baseLayer the linear layer being adapted
     * @param linear its weight view
     */
    LoraLinear(Block baseLayer, LinearLike linear) {
        super(baseLayer);
        this.linear = linear;
    }

    /**
     * LoRA over a quantized base: the base computes on its dequantized weight, the adapters in F32.
     *
     * @param baseLayer the quantized layer, also a block
     * @param quantized the same layer
     */
    LoraLinear(Block baseLayer, DequantizableLinear quantized) {
        super(baseLayer);
        this.quantized = quantized;
    }

    /** @return whether the base layer is quantized */
    public boolean quantizedBase() {
        return quantized != null;
    }

    /** @return whether the base weight is stored [in, out] (never for a quantized base, which is [out, in]) */
    public boolean fanInFanOut() {
        return quantized == null && linear.fanInFanOut();
    }

    /** @return the input size */
    public long inFeatures() {
        return quantized != null ? quantized.inFeatures() : linear.inFeatures();
    }

    /** @return the output size */
    public long outFeatures() {
        return quantized != null ? quantized.outFeatures() : linear.outFeatures();
    }

    private Optional<Parameter> baseBias() {
        return quantized != null ? quantized.bias() : linear.bias();
    }

    @Override
    Parameter baseWeight() {
        if (quantized != null) {
            throw new IllegalStateException("the base layer is quantized and has no full-precision weight");
        }
        return linear.weight();
    }

    @Override
    DataType adapterDType() {
        return quantized != null ? DataType.FLOAT32 : super.adapterDType();
    }

    /**
     * Replaces the quantized base by a DJL {@code Linear} holding its dequantized weight (F32) and the
     * same bias parameter, so that merges are exact and the merged model is a plain one.
     */
    private void dequantizeBase(NDManager manager) {
        Block old = baseLayer();
        long in = quantized.inFeatures();
        Optional<Parameter> bias = quantized.bias();
        Linear plain = Linear.builder().setUnits(quantized.outFeatures()).optBias(bias.isPresent()).build();
        NDArray weight;
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            weight = quantized.dequantizedWeight(manager);
            NDScope.unregister(weight);
        }
        plain.getParameters().get("weight").setArray(weight);
        bias.ifPresent(b -> plain.getParameters().get("bias").setArray(b.getArray()));
        plain.initialize(manager, DataType.FLOAT32, new Shape(in));
        plain.freezeParameters(true);
        DequantizableLinear q = quantized;
        quantized = null;   // block surgery patches every field holding the old layer; this one cannot hold a Linear
        try {
            BlockSurgery.replace(this, old, plain);
        } catch (RuntimeException e) {
            quantized = q;
            throw e;
        }
        linear = LinearLike.of(plain).orElseThrow();
        if (old instanceof AutoCloseable closeable) {
            try {
                closeable.close();   // the codes and scales
            } catch (Exception e) {
                LOG.warn("could not release the quantized weight of {}", old, e);
            }
        }
    }

    /** Merges into a base that stays quantized: dequantize, add (or subtract), quantize again (lossy). */
    private void requantizeWith(String adapterName, int sign) {
        LoraSettings s = settings(adapterName);
        LOG.warn("Merge lora module to 4-bit/8-bit linear may get different generations due to rounding errors.");
        NDArray merged;
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDManager manager = adapterArray(adapterName, nameOfA(adapterName)).getManager();
            NDArray w = quantized.dequantizedWeight(manager);
            NDArray delta = deltaOf(loraA(adapterName), loraB(adapterName), s.scaling());
            merged = sign > 0 ? w.add(delta) : w.sub(delta);
            NDScope.unregister(merged);
            if (s.loraBias()) {
                NDArray bias = baseBias().orElseThrow().getArray();
                bias.addi(adapterArray(adapterName, nameOfBias(adapterName)).mul(s.scaling() * sign));
            }
        }
        try (merged) {
            quantized.requantize(merged);
        }
    }

    @Override
    String nameOfA(String adapterName) {
        return "lora_A." + adapterName + ".weight";
    }

    @Override
    String nameOfB(String adapterName) {
        return "lora_B." + adapterName + ".weight";
    }

    static String nameOfBias(String adapterName) {
        return "lora_B." + adapterName + ".bias";
    }

    private int outAxis() {
        return fanInFanOut() ? 1 : 0;
    }

    /**
     * PEFT's {@code update_layer}: creates the adapter's tensors with {@code manager}, initialised as
     * {@code init} says; PiSSA and OLoRA also rewrite the base weight.
     */
    void addAdapter(String adapterName, LoraSettings s, InitLoraWeights init, NDManager manager) {
        if (s.r() <= 0) {
            throw new PeftConfigException("`r` should be a positive integer value but the value passed is " + s.r());
        }
        if (quantized != null && (init.mutatesBaseWeight() || s.useDora())) {
            throw new PeftCompatibilityException("use_dora and init_lora_weights='" + init
                    + "' rewrite or read the full-precision base weight; they are not supported on a quantized base ("
                    + baseLayer() + ")");
        }
        if (s.loraBias() && baseBias().isEmpty()) {
            LOG.warn("`lora_bias=True` was passed but the targeted layer of type {} has no bias. This means that"
                    + " merging LoRA weights won't be possible.", baseLayer().getClass().getSimpleName());
        }
        DataType type = adapterDType();
        NDArray a;
        NDArray b;
        NDArray bias = null;
        if (init.mutatesBaseWeight()) {
            LoraInit.Decomposition d = decompose(init, s);
            a = d.a().toNDArray(manager, type);
            b = d.b().toNDArray(manager, type);
            Matrix residual = init.isPissa() && linear.fanInFanOut() ? d.residual().transpose() : d.residual();
            try (NDArray w = residual.toNDArray(manager, baseWeight().getArray().getDataType())) {
                Tensors.assign(baseWeight().getArray(), w);
            }
        } else {
            LoraInit.Tensors t = LoraInit.linear(init, s.r(), inFeatures(), outFeatures(), s.loraBias(), manager, type);
            a = t.a();
            b = t.b();
            bias = t.bias();
        }
        addAdapterParameter(adapterName, nameOfA(adapterName), a);
        addAdapterParameter(adapterName, nameOfB(adapterName), b);
        if (bias != null) {
            addAdapterParameter(adapterName, nameOfBias(adapterName), bias);
        }
        putSettings(adapterName, s);
        if (s.useDora()) {
            NDArray magnitude;
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                magnitude = Dora.norm(baseWeight().getArray().toType(type, false).add(deltaOf(a, b, s.scaling())), outAxis());
                NDScope.unregister(magnitude);
            }
            addAdapterParameter(adapterName, nameOfMagnitude(adapterName), magnitude);
        }
    }

    private LoraInit.Decomposition decompose(InitLoraWeights init, LoraSettings s) {
        Matrix stored = Matrix.of(baseWeight().getArray());
        if (init.isPissa()) {
            Matrix w = linear.fanInFanOut() ? stored.transpose() : stored;
            return LoraInit.pissa(w, s.r(), s.scaling(), init.pissaIterations(), baseWeight().getArray().getManager());
        }
        if (linear.fanInFanOut() && stored.rows != stored.cols) {
            // PEFT's olora_init takes the QR of the weight as stored; for [in, out] weights that are not
            // square its A and B come out with the wrong shapes, so PEFT fails at the first forward.
            throw new PeftCompatibilityException("init_lora_weights='olora' is not possible on a fan_in_fan_out layer"
                    + " whose weight is not square (" + stored.rows + "x" + stored.cols + "): PEFT's OLoRA takes the"
                    + " QR decomposition of the stored [in, out] weight, which gives A and B of the wrong shapes");
        }
        return LoraInit.olora(stored, s.r(), s.scaling());
    }

    /** scaling·B·A in the stored layout. */
    @Override
    NDArray deltaOf(NDArray a, NDArray b, double scaling) {
        NDArray delta = b.matMul(a);
        // in place: merging a large layer allocates one [out, in] temporary, not two
        delta.muli(Tensors.scalar(delta, scaling));
        return fanInFanOut() ? delta.transpose() : delta;
    }

    // ---------------------------------------------------------------- forward

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDList baseOut = baseLayer().forward(ps, inputs, training, params);
        if (adaptersDisabled()) {
            return baseOut;
        }
        NDArray x = inputs.head();
        NDArray result = baseOut.head();
        Optional<AdapterRouting> routing = routing(params);
        if (routing.isPresent()) {
            checkRouting(x.getShape().get(0), routing.get(), training);
            return new NDList(mixedBatch(x, result, routing.get(), (name, rows) -> loraTerm(ps, name, rows, false)));
        }
        List<String> active = adaptersForForward();
        for (String name : active) {
            NDArray delta = settings(name).useDora()
                    ? doraTerm(ps, name, x, result, training)
                    : loraTerm(ps, name, x, training);
            result = result.add(delta.toType(result.getDataType(), false));
        }
        return new NDList(result);
    }

    /** B(A(dropout(x)))·scaling, with lora_B's bias when the adapter has one. */
    private NDArray loraTerm(ParameterStore ps, String name, NDArray x, boolean training) {
        LoraSettings s = settings(name);
        Device device = x.getDevice();
        NDArray a = value(ps, name, nameOfA(name), device, training);
        NDArray b = value(ps, name, nameOfB(name), device, training);
        NDArray bias = s.loraBias() ? value(ps, name, nameOfBias(name), device, training) : null;
        NDArray h = dropout(x.toType(a.getDataType(), false), s, training);
        NDArray down = Linear.linear(h, a).head();
        NDArray up = Linear.linear(down, b, bias).head();
        return up.mul(Tensors.scalar(up, s.scaling())); // engine-owned: DJL's mul(Number) frees it before backward
    }

    /**
     * PEFT's {@code DoraLinearLayer.forward}: with m the magnitude and n = ||W + scaling·BA|| (BA
     * detached, n detached), adds (m/n − 1)·base + (m/n)·B(A(x))·scaling. Without dropout (or in
     * evaluation) "base" is the output so far without the base bias; with dropout it is
     * x_dropped·Wᵀ.
     */
    private NDArray doraTerm(ParameterStore ps, String name, NDArray x, NDArray resultSoFar, boolean training) {
        LoraSettings s = settings(name);
        Device device = x.getDevice();
        NDArray a = value(ps, name, nameOfA(name), device, training);
        NDArray b = value(ps, name, nameOfB(name), device, training);
        NDArray magnitude = value(ps, name, nameOfMagnitude(name), device, training);
        NDArray weight = ps.getValue(baseWeight(), device, training).toType(x.getDataType(), false);
        NDArray loraWeight = local(deltaOf(a, b, s.scaling()), x).stopGradient();
        NDArray norm = Dora.norm(loraWeight.add(weight), outAxis()).stopGradient();
        NDArray scale = local(magnitude.div(norm), x);
        NDArray base;
        NDArray xd;
        if (s.dropout() == 0 || !training) {
            xd = x;
            base = resultSoFar;
            Optional<Parameter> bias = linear.bias();
            if (bias.isPresent()) {
                base = base.sub(ps.getValue(bias.get(), device, training));
            }
        } else {
            xd = dropout(x, s, training);
            base = Linear.linear(xd, linear.fanInFanOut() ? weight.transpose() : weight).head();
        }
        NDArray loraResult = Linear.linear(Linear.linear(xd, a).head(), b).head();
        return base.mul(scale.sub(1)).add(loraResult.mul(scale).mul(Tensors.scalar(loraResult, s.scaling())));
    }

    private static NDArray dropout(NDArray x, LoraSettings s, boolean training) {
        if (s.dropout() == 0 || !training) {
            return x;
        }
        return Dropout.dropout(x, (float) s.dropout(), true).head();
    }

    // ---------------------------------------------------------------- merging

    @Override
    void mergeOne(String adapterName) {
        LoraSettings s = settings(adapterName);
        Optional<Parameter> baseBias = baseBias();
        if (s.loraBias() && baseBias.isEmpty()) {
            throw new PeftCompatibilityException(
                    "Impossible to merge LoRA with `lora_bias=True` because the base layer has no bias.");
        }
        if (quantized != null) {
            if (quantized.requantizeOnMerge()) {
                requantizeWith(adapterName, 1);
                return;
            }
            dequantizeBase(adapterArray(adapterName, nameOfA(adapterName)).getManager());
        }
        NDArray w = baseWeight().getArray();
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray delta = deltaOf(loraA(adapterName), loraB(adapterName), s.scaling()).toType(w.getDataType(), false);
            if (s.useDora()) {
                NDArray merged = w.add(delta);
                NDArray norm = Dora.norm(merged, outAxis());
                NDScope.unregister(norm);
                cacheMergedNorm(adapterName, norm);
                NDArray factor = adapterArray(adapterName, nameOfMagnitude(adapterName)).div(norm);
                Tensors.assign(w, merged.mul(Dora.alongOutputs(factor, outAxis())));
            } else {
                w.addi(delta);
            }
            if (s.loraBias()) {
                NDArray bias = baseBias.get().getArray();
                bias.addi(adapterArray(adapterName, nameOfBias(adapterName)).mul(s.scaling()).toType(bias.getDataType(), false));
            }
        }
    }

    @Override
    void unmergeOne(String adapterName) {
        LoraSettings s = settings(adapterName);
        if (quantized != null) {
            requantizeWith(adapterName, -1);
            return;
        }
        NDArray w = baseWeight().getArray();
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray delta = deltaOf(loraA(adapterName), loraB(adapterName), s.scaling()).toType(w.getDataType(), false);
            if (s.useDora()) {
                try (NDArray norm = takeMergedNorm(adapterName)) {
                    NDArray factor = adapterArray(adapterName, nameOfMagnitude(adapterName)).div(norm);
                    Tensors.assign(w, w.div(Dora.alongOutputs(factor, outAxis())).sub(delta));
                }
            } else {
                w.subi(delta);
            }
            if (s.loraBias()) {
                NDArray bias = linear.bias().orElseThrow().getArray();
                bias.subi(adapterArray(adapterName, nameOfBias(adapterName)).mul(s.scaling()).toType(bias.getDataType(), false));
            }
        }
    }
}
