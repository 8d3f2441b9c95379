package io.github.peft4j.quant;

import io.github.peft4j.core.PeftConfigException;
import java.util.List;

/**
 * What {@link Quantizer} does to a model: the storage type, NF4's block size and double
 * quantization, the modules left in full precision, and what merging an adapter (LoRA) into a
 * quantized layer produces. Embeddings and norms are never quantized (they are not linear layers);
 * the output head is skipped by default, as transformers' bitsandbytes integration does.
 *
 * <pre>{@code
 * QuantizationConfig nf4 = QuantizationConfig.builder()
 *         .type(QuantizationType.NF4).blockSize(64).doubleQuant(true)
 *         .skipModules(List.of("lm_head"))
 *         .mergeMode(QuantizationConfig.MergeMode.DEQUANTIZE_TO_F32)
 *         .build();
 * }</pre>
 */
public final class QuantizationConfig {

    /** What a merge of an adapter into a quantized layer produces. */
    public enum MergeMode {
        /** The quantized layer is replaced by a DJL {@code Linear} holding the dequantized, merged F32 weight. */
        DEQUANTIZE_TO_F32,
        /** The merged weight is quantized again (lossy; a warning is logged), as PEFT does on bitsandbytes layers. */
        REQUANTIZE
    }

    /** Scales per second-level scale in double quantization (QLoRA's 256). */
    public static final int DOUBLE_QUANT_GROUP = 256;

    private final QuantizationType type;
    private final int blockSize;
    private final boolean doubleQuant;
    private final List<String> skipModules;
    private final MergeMode mergeMode;

    private QuantizationConfig(Builder b) {
        this.type = b.type;
        this.blockSize = b.blockSize;
        this.doubleQuant = b.doubleQuant;
        this.skipModules = List.copyOf(b.skipModules);
        this.mergeMode = b.mergeMode;
    }

    /** @return a builder: NF4, block size 64, no double quantization, skip {@code lm_head}, F32 merges */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * @param type the storage type
     * @return the defaults with that type
     */
    public static QuantizationConfig of(QuantizationType type) {
        return builder().type(type).build();
    }

    /** @return the storage type */
    public QuantizationType type() {
        return type;
    }

    /** @return NF4 values per absmax scale */
    public int blockSize() {
        return blockSize;
    }

    /** @return whether NF4 block scales are themselves quantized to 8 bits */
    public boolean doubleQuant() {
        return doubleQuant;
    }

    /** @return module names kept in full precision (a path matches when it equals or ends with {@code .name}) */
    public List<String> skipModules() {
        return skipModules;
    }

    /** @return what merging an adapter into a quantized layer produces */
    public MergeMode mergeMode() {
        return mergeMode;
    }

    /** Builder of {@link QuantizationConfig}. */
    public static final class Builder {
        private QuantizationType type = QuantizationType.NF4;
        private int blockSize = 64;
        private boolean doubleQuant;
        private List<String> skipModules = List.of("lm_head");
        private MergeMode mergeMode = MergeMode.DEQUANTIZE_TO_F32;

        private Builder() {}

        /** @param v storage type @return this */
        public Builder type(QuantizationType v) {
            this.type = v;
            return this;
        }

        /** @param v NF4 block size, even and positive @return this */
        public Builder blockSize(int v) {
            this.blockSize = v;
            return this;
        }

        /** @param v whether to quantize NF4 block scales (QLoRA's double quantization) @return this */
        public Builder doubleQuant(boolean v) {
            this.doubleQuant = v;
            return this;
        }

        /** @param v module names to keep in full precision @return this */
        public Builder skipModules(List<String> v) {
            this.skipModules = v;
            return this;
        }

        /** @param v what merges produce @return this */
        public Builder mergeMode(MergeMode v) {
            this.mergeMode = v;
            return this;
        }

        /**
         * @return the config
         * @throws PeftConfigException on a missing type or an odd or non-positive block size
         */
        public QuantizationConfig build() {
            if (type == null || mergeMode == null || skipModules == null) {
                throw new PeftConfigException("quantization type, merge mode and skip modules must not be null");
            }
            if (blockSize <= 0 || blockSize % 2 != 0) {
                throw new PeftConfigException("quantization block size must be a positive even number (two 4-bit"
                        + " codes per byte), got " + blockSize);
            }
            if (doubleQuant && type != QuantizationType.NF4) {
                throw new PeftConfigException("double quantization applies to NF4 block scales; type is " + type);
            }
            return new QuantizationConfig(this);
        }
    }
}
