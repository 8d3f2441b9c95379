package io.github.peft4j.quant;

/**
 * How a frozen linear weight is stored.
 *
 * <pre>{@code
 * QuantizationConfig config = QuantizationConfig.builder().type(QuantizationType.NF4).build();
 * }</pre>
 */
public enum QuantizationType {
    /** int8 codes with one absmax scale per output channel (bitsandbytes' LLM.int8 storage, without outliers). */
    INT8,
    /** 4-bit NormalFloat codes, two per byte, one absmax scale per block (QLoRA). */
    NF4
}
