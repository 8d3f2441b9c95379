package io.github.peft4j.lora.layer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.core.tuner.ForwardCall;
import io.github.peft4j.core.tuner.Tensors;
import io.github.peft4j.lora.init.InitLoraWeights;
import io.github.peft4j.lora.init.LoraInit;
import io.github.peft4j.lora.linalg.Matrix;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * LoRA on a linear layer, PEFT's {@code lora.Linear}: {@code y = base(x) + B(A(dropout(x)))·scaling}
 * summed over the active adapters, dropout on the LoRA path only and only in training. Both weight
 * layouts are handled: [out, in] (DJL {@code Linear}, {@code torch.nn.Linear}) and [in, out] (GPT-2
 * {@code Conv1D}, {@code fan_in_fan_out}); A is always [r, in] and B [out, r]. DoRA adapters add
 * PEFT's magnitude/direction term instead ({@link DoraLinearVariant}). The base is full precision or
 * quantized ({@link LinearBase}).
 *
 * <pre>{@code
 * PeftModel model = PeftModel.create(base, LoraConfig.builder().targetModules("q_proj").build());
 * LoraLinear q = (LoraLinear) model.modules().get("model.layers.0.self_attn.q_proj");
 * NDArray a = q.adapterParameters("default").get("lora_A.default.weight").getArray(); // [8, in]
 * }</pre>
 */
public final class LoraLinear extends LoraLayer {

    private static final Logger LOG = LoggerFactory.getLogger(LoraLinear.class);

    private LinearBase base;

    /** A₀ and B₀ of adapters whose initialisation rewrote the base: what their saved form subtracts. */
    private final Map<String, LoraInit.Tensors> initial = new HashMap<>();

    /**
     * @param baseLayer the linear layer being adapted
     * @param base what the adapters know of it
     */
    LoraLinear(Block baseLayer, LinearBase base) {
        super(baseLayer);
        this.base = base;
    }

    /** @return whether the base layer is quantized */
    public boolean quantizedBase() {
        return base.isQuantized();
    }

    /** @return whether the base weight is stored [in, out] (never for a quantized base, which is [out, in]) */
    public boolean fanInFanOut() {
        return base.fanInFanOut();
    }

    /** @return the input size */
    public long inFeatures() {
        return base.inFeatures();
    }

    /** @return the output size */
    public long outFeatures() {
        return base.outFeatures();
    }

    Optional<Parameter> baseBias() {
        return base.bias();
    }

    @Override
    Parameter baseWeight() {
        return base.weight();
    }

    @Override
    DataType adapterDType() {
        return base.adapterDType();
    }

    @Override
    int outAxis() {
        return fanInFanOut() ? 1 : 0;
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

    @Override
    DoraVariant doraVariant(String adapterName) {
        return new DoraLinearVariant(this, adapterName);
    }

    @Override
    public void addAdapter(String adapterName, LoraSettings s, InitLoraWeights init, NDManager manager) {
        base.checkAdapter(init, s, baseLayer());
        if (s.loraBias() && base.bias().isEmpty()) {
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
            Matrix residual = init.isPissa() && fanInFanOut() ? d.residual().transpose() : d.residual();
            try (NDArray w = residual.toNDArray(manager, baseWeight().getArray().getDataType())) {
                Tensors.assign(baseWeight().getArray(), w);
            }
            initial.put(adapterName, new LoraInit.Tensors(a.duplicate(), b.duplicate(), null));
        } else {
            LoraInit.Tensors t = LoraInit.linear(init, s.r(), inFeatures(), outFeatures(), s.loraBias(), manager, type);
            a = t.a();
            b = t.b();
            bias = t.bias();
        }
        addAB(adapterName, a, b);
        if (bias != null) {
            addTensor(adapterName, nameOfBias(adapterName), bias);
        }
        startVariant(adapterName, s);
    }

    private LoraInit.Decomposition decompose(InitLoraWeights init, LoraSettings s) {
        Matrix stored = Matrix.of(baseWeight().getArray());
        if (init.isPissa()) {
            Matrix w = fanInFanOut() ? stored.transpose() : stored;
            return LoraInit.pissa(w, s.r(), s.scaling(), init.pissaIterations(), baseWeight().getArray().getManager());
        }
        if (fanInFanOut() && stored.rows != stored.cols) {
            // PEFT's olora_init takes the QR of the weight as stored; for [in, out] weights that are not
            // square its A and B come out with the wrong shapes, so PEFT fails at the first forward.
            throw new PeftCompatibilityException("init_lora_weights='olora' is not possible on a fan_in_fan_out layer"
                    + " whose weight is not square (" + stored.rows + "x" + stored.cols + "): PEFT's OLoRA takes the"
                    + " QR decomposition of the stored [in, out] weight, which gives A and B of the wrong shapes");
        }
        return LoraInit.olora(stored, s.r(), s.scaling());
    }

    /**
     * A₀ and B₀ of an adapter whose initialisation (PiSSA, OLoRA) rewrote the base weight as
     * W − scaling·B₀·A₀: the adapter's saved form {@code [A; A₀]}, {@code [B, −B₀]} adds
     * scaling·(B·A − B₀·A₀) to the original W (PEFT's {@code path_initial_model_for_weight_conversion}).
     *
     * @param adapterName the adapter
     * @return its initial A and B, or empty when its initialisation left the base alone
     */
    public Optional<LoraInit.Tensors> initialAB(String adapterName) {
        return Optional.ofNullable(initial.get(adapterName));
    }

    @Override
    public void deleteAdapter(String adapterName) {
        super.deleteAdapter(adapterName);
        LoraInit.Tensors t = initial.remove(adapterName);
        if (t != null) {
            t.a().close();
            t.b().close();
        }
    }

    /** scaling·B·A in the stored layout. */
    @Override
    NDArray deltaOf(NDArray a, NDArray b, double scaling) {
        NDArray delta = b.matMul(a);
        // in place: merging a large layer allocates one [out, in] temporary, not two
        delta.muli(Tensors.scalar(delta, scaling));
        return fanInFanOut() ? delta.transpose() : delta;
    }

    /** B(A(dropout(x)))·scaling, with lora_B's bias when the adapter has one. */
    @Override
    NDArray loraTerm(ForwardCall call, String name) {
        LoraSettings s = settings(name);
        NDArray a = tensor(call, name, nameOfA(name));
        NDArray b = tensor(call, name, nameOfB(name));
        NDArray bias = s.loraBias() ? tensor(call, name, nameOfBias(name)) : null;
        NDArray h = call.input().toType(a.getDataType(), false);
        double scale = s.scaling();
        if (s.dropout() > 0 && call.training()) {
            // the mask here, dropout's 1/(1-p) with the scaling below: B·A·(x·m/(1-p)) = (B/(1-p))·A·(x·m)
            h = LoraDropout.keep(h, s.dropout());
            scale /= 1 - s.dropout();
        }
        NDArray down = Linear.linear(h, a).head();
        // PEFT scales the output, B(A(x))·scaling; scaling B (and its bias) instead, [out, r] values
        // rather than [tokens, out], saves a pass over the output forward and backward. Equal up to
        // rounding, bit for bit when scaling is a power of two (alpha = 2r, the usual choice) and
        // there is no dropout. Engine-owned scalar: DJL's mul(Number) frees its scalar before backward.
        NDArray scaling = Tensors.scalar(h, scale);
        NDArray scaledB = Tensors.local(b.mul(scaling), h);
        NDArray scaledBias = null;
        if (bias != null) {
            // the bias is added after B·A·x, outside dropout's 1/(1-p)
            NDArray biasScaling = scale == s.scaling() ? scaling : Tensors.scalar(h, s.scaling());
            scaledBias = Tensors.local(bias.mul(biasScaling), h);
        }
        return Linear.linear(down, scaledB, scaledBias).head();
    }

    static NDArray dropout(NDArray x, LoraSettings s, boolean training) {
        if (s.dropout() == 0 || !training) {
            return x;
        }
        return LoraDropout.inverted(x, s.dropout());
    }

    // ---------------------------------------------------------------- merging

    @Override
    protected void mergeAdapter(String adapterName) {
        LoraSettings s = settings(adapterName);
        if (s.loraBias() && base.bias().isEmpty()) {
            throw new PeftCompatibilityException(
                    "Impossible to merge LoRA with `lora_bias=True` because the base layer has no bias.");
        }
        super.mergeAdapter(adapterName);
        if (s.loraBias()) {
            NDArray bias = base.bias().orElseThrow().getArray();
            try (NDArray term = loraBiasTerm(adapterName, bias.getDataType())) {
                bias.addi(term);
            }
        }
    }

    @Override
    protected void unmergeAdapter(String adapterName) {
        super.unmergeAdapter(adapterName);
        if (settings(adapterName).loraBias()) {
            NDArray bias = base.bias().orElseThrow().getArray();
            try (NDArray term = loraBiasTerm(adapterName, bias.getDataType())) {
                bias.subi(term);
            }
        }
    }

    /** lora_B's bias times scaling: what a merge adds to the base bias. */
    private NDArray loraBiasTerm(String adapterName, DataType type) {
        return array(adapterName, nameOfBias(adapterName)).mul(settings(adapterName).scaling()).toType(type, false);
    }

    /** Through the base, which may requantize or replace a quantized layer by a full-precision one. */
    @Override
    void changeBaseWeight(String adapterName, Consumer<NDArray> change) {
        base = base.changeWeight(this, loraA(adapterName).getManager(), change);
    }
}
