package io.github.peft4j.quant;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.core.module.DequantizableLinear;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Optional;

/**
 * A frozen linear layer stored as int8 (per-output-channel absmax) or NF4 (QLoRA: 4-bit NormalFloat
 * codes, two per byte, one absmax per block, optionally 8-bit block scales with one F32 scale per 256
 * blocks). The PyTorch engine has no quantized kernels, so forward dequantizes the weight into the
 * input's manager and multiplies in F32: the full-precision copy lives only for that call (and, in
 * training, in the autograd graph for the input gradient). Dequantized weights are [out, in]; a GPT-2
 * {@code Conv1D} is transposed when quantized, so it computes as a plain linear layer afterwards (as
 * transformers' bitsandbytes integration does).
 *
 * <p>The codes and scales are plain arrays of the model's manager, not DJL parameters: they never
 * train and have no full-precision view. The bias stays an F32 parameter named {@code bias}.
 *
 * <pre>{@code
 * QuantizedLinear q = Quantizer.quantizeLinear(LinearLike.of(linear).orElseThrow(),
 *         QuantizationConfig.of(QuantizationType.NF4));
 * NDArray y = q.forward(ps, new NDList(x), false).head();     // x·dequant(W)ᵀ + b
 * }</pre>
 */
public final class QuantizedLinear extends AbstractBlock implements DequantizableLinear, AutoCloseable {

    private static final byte VERSION = 1;

    private final QuantizationConfig config;
    private final long inFeatures;
    private final long outFeatures;
    private final Parameter bias;
    private final NDManager home;
    /** INT8 [out, in], or UINT8 [padded / 2] packed NF4 codes. */
    private NDArray codes;
    /** F32 [out, 1] (int8), F32 [blocks, 1] (NF4), or INT8 [groups * 256] (NF4 double quantization). */
    private NDArray scales;
    /** F32 [groups, 1]: second-level scales of double quantization, else null. */
    private NDArray scaleScales;
    /** Mean subtracted from the block scales before double quantization. */
    private float scaleOffset;
    /** NF4's levels as an F32 [16] array on the layer's device (kept: an array created per call from a Java array would be a view of a Java buffer). */
    private NDArray levels;

    /**
     * @param weight the full-precision weight, [out, in] row-major
     * @param outFeatures output size
     * @param inFeatures input size
     * @param bias the bias parameter (kept as is), or null
     * @param config how to store the weight
     * @param home the manager of the stored arrays
     */
    public QuantizedLinear(float[] weight, long outFeatures, long inFeatures, Parameter bias,
            QuantizationConfig config, NDManager home) {
        super(VERSION);
        this.config = config;
        this.outFeatures = outFeatures;
        this.inFeatures = inFeatures;
        this.home = home;
        this.bias = bias == null ? null : addParameter(bias);
        store(weight);
    }

    private void store(float[] w) {
        if (w.length != outFeatures * inFeatures) {
            throw new PeftCompatibilityException("a [" + outFeatures + ", " + inFeatures + "] weight has "
                    + outFeatures * inFeatures + " values, got " + w.length);
        }
        if (config.type() == QuantizationType.INT8) {
            Int8.Rows q = Int8.quantize(w, (int) outFeatures, (int) inFeatures);
            codes = bytes(q.codes(), new Shape(outFeatures, inFeatures), DataType.INT8);
            scales = home.create(q.scale(), new Shape(outFeatures, 1));
            scaleScales = null;
            return;
        }
        if (levels == null) {
            levels = home.create(Nf4.CODE_BOOK);
        }
        Nf4.Blocks q = Nf4.quantize(w, config.blockSize());
        codes = bytes(q.packed(), new Shape(q.packed().length), DataType.UINT8);
        float[] absmax = q.absmax();
        if (!config.doubleQuant()) {
            scales = home.create(absmax, new Shape(absmax.length, 1));
            scaleScales = null;
            return;
        }
        // QLoRA's double quantization: the (positive) block scales minus their mean, 8-bit per group of 256.
        double sum = 0;
        for (float a : absmax) {
            sum += a;
        }
        scaleOffset = (float) (sum / absmax.length);
        int group = QuantizationConfig.DOUBLE_QUANT_GROUP;
        int groups = (absmax.length + group - 1) / group;
        float[] centred = new float[groups * group];
        for (int i = 0; i < absmax.length; i++) {
            centred[i] = absmax[i] - scaleOffset;
        }
        Int8.Rows qs = Int8.quantize(centred, groups, group);
        scales = bytes(qs.codes(), new Shape(qs.codes().length), DataType.INT8);
        scaleScales = home.create(qs.scale(), new Shape(groups, 1));
    }

    private NDArray bytes(byte[] data, Shape shape, DataType type) {
        return home.create(ByteBuffer.wrap(data), shape, type);
    }

    /** @return the storage type and block layout */
    public QuantizationConfig config() {
        return config;
    }

    @Override
    public long inFeatures() {
        return inFeatures;
    }

    @Override
    public long outFeatures() {
        return outFeatures;
    }

    @Override
    public Optional<Parameter> bias() {
        return Optional.ofNullable(bias);
    }

    @Override
    public boolean requantizeOnMerge() {
        return config.mergeMode() == QuantizationConfig.MergeMode.REQUANTIZE;
    }

    /** @return bytes held by codes and scales (the bias, an F32 parameter, not included) */
    public long storageBytes() {
        long n = bytesOf(codes) + bytesOf(scales) + bytesOf(scaleScales) + bytesOf(levels);
        return scaleScales == null ? n : n + Float.BYTES;
    }

    private static long bytesOf(NDArray a) {
        return a == null ? 0 : a.size() * a.getDataType().getNumOfBytes();
    }

    /** @return the raw codes (INT8 [out, in] or UINT8 packed NF4), for inspection */
    public NDArray codes() {
        return codes;
    }

    /** @return the block scales as F32 [blocks] (dequantized when double quantization is on), for inspection */
    public float[] blockScales() {
        try (NDManager m = home.newSubManager()) {
            return Arrays.copyOf(scalesF32(m).toFloatArray(), (int) scaleCount());
        }
    }

    private long scaleCount() {
        if (config.type() == QuantizationType.INT8) {
            return outFeatures;
        }
        long n = outFeatures * inFeatures;
        return (n + config.blockSize() - 1) / config.blockSize();
    }

    /** Block scales as F32 [blocks, 1] (int8: [out, 1]); arrays it creates attach to {@code m}. */
    private NDArray scalesF32(NDManager m) {
        if (scaleScales == null) {
            return scales;
        }
        NDArray q = own(scales.toType(DataType.FLOAT32, false), m);
        int group = QuantizationConfig.DOUBLE_QUANT_GROUP;
        return q.reshape(-1, group).mul(scaleScales).add(scaleOffset).reshape(-1)
                .get("0:" + scaleCount()).reshape(-1, 1);
    }

    @Override
    public NDArray dequantizedWeight(NDManager m) {
        if (config.type() == QuantizationType.INT8) {
            return own(codes.toType(DataType.FLOAT32, false), m).mul(scales);
        }
        NDArray packed = own(codes.toType(DataType.FLOAT32, false), m);
        NDArray high = packed.div(16f).floor();
        NDArray low = packed.sub(high.mul(16f));
        NDArray index = NDArrays.stack(new NDList(high, low), 1).reshape(-1).toType(DataType.INT64, false);
        NDArray values = levels.take(m, index);
        NDArray w = values.reshape(-1, config.blockSize()).mul(scalesF32(m)).reshape(-1);
        long n = outFeatures * inFeatures;
        if (w.size() != n) {
            w = w.get("0:" + n);
        }
        return w.reshape(outFeatures, inFeatures);
    }

    private static NDArray own(NDArray a, NDManager m) {
        if (a.getManager() != m) {
            a.attach(m);
        }
        return a;
    }

    @Override
    public void requantize(NDArray weight) {
        float[] w = weight.toType(DataType.FLOAT32, false).toFloatArray();
        NDArray[] old = {codes, scales, scaleScales};
        store(w);
        for (NDArray a : old) {
            if (a != null) {
                a.close();
            }
        }
    }

    /** Releases the codes and scales (the bias parameter is left alone: it may live on in a merged layer). */
    @Override
    public void close() {
        for (NDArray a : new NDArray[] {codes, scales, scaleScales, levels}) {
            if (a != null) {
                a.close();
            }
        }
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.head();
        NDArray w = dequantizedWeight(x.getManager());
        NDArray b = bias == null ? null : ps.getValue(bias, x.getDevice(), training);
        return Linear.linear(x, w, b);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        long[] dims = inputShapes[0].getShape().clone();
        dims[dims.length - 1] = outFeatures;
        return new Shape[] {new Shape(dims)};
    }

    @Override
    public String toString() {
        return "QuantizedLinear(" + config.type() + (config.doubleQuant() ? "+dq" : "") + ", in=" + inFeatures
                + ", out=" + outFeatures + ", bias=" + (bias != null) + ")";
    }
}
