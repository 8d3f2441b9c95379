package io.github.peft4j.lora.layer;

import io.github.peft4j.core.PeftConfigException;

/**
 * What one LoRA layer knows about one adapter after {@code rank_pattern} / {@code alpha_pattern}
 * were resolved for it.
 *
 * <pre>{@code
 * LoraSettings s = loraLinear.settings("default");
 * double scaling = s.scaling(); // lora_alpha / r, or lora_alpha / sqrt(r) with use_rslora
 * }</pre>
 *
 * @param r the rank
 * @param alpha the scaling numerator
 * @param dropout dropout probability on the LoRA input path (training only)
 * @param useRslora whether scaling is alpha/sqrt(r)
 * @param loraBias whether lora_B has a bias
 * @param useDora whether the adapter is DoRA
 */
public record LoraSettings(int r, double alpha, double dropout, boolean useRslora, boolean loraBias, boolean useDora) {

    /** @throws PeftConfigException for a rank that is not positive, as PEFT's {@code update_layer} */
    public LoraSettings {
        if (r <= 0) {
            throw new PeftConfigException("`r` should be a positive integer value but the value passed is " + r);
        }
    }

    /** @return PEFT's {@code scaling}: {@code alpha / r}, or {@code alpha / sqrt(r)} with rsLoRA */
    public double scaling() {
        return useRslora ? alpha / Math.sqrt(r) : alpha / r;
    }
}
