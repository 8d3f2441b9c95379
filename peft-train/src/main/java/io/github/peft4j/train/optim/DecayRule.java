package io.github.peft4j.train.optim;

import java.util.List;
import java.util.regex.Pattern;

/**
 * Which parameters get weight decay. Like the Hugging Face Trainer ({@code get_decay_parameter_names}),
 * biases and normalisation weights are excluded by default; here the decision is made on the
 * parameter's Hugging Face key, so it also works for tensors a tuner adds (BitFit biases,
 * LN-tuning copies of norm weights).
 *
 * <pre>{@code
 * DecayRule rule = DecayRule.defaults();
 * rule.decays("model.layers.0.self_attn.q_proj.lora_A.default.weight"); // true
 * rule.decays("transformer.h.0.ln_1.weight");                            // false
 * rule.decays("model.layers.0.mlp.down_proj.bias");                      // false
 * }</pre>
 */
public final class DecayRule {

    /**
     * The default exclusions, as regular expressions searched in the key: biases and the usual
     * names of normalisation layers (HF's {@code ["bias", "layernorm", "rmsnorm", "(?:^|\.)norm(?:$|\.)",
     * "_norm(?:$|\.)"]}, plus GPT-2's {@code ln_1}/{@code ln_2}/{@code ln_f} which HF finds by class).
     */
    public static final List<String> DEFAULT_EXCLUDED = List.of(
            "bias",
            "(?i)layer_?norm",
            "(?i)rms_?norm",
            "(?:^|\\.)norm(?:$|\\.)",
            "_norm(?:$|\\.)",
            "(?:^|\\.)ln(?:_[^.]*)?\\.");

    private final List<Pattern> excluded;

    private DecayRule(List<String> excludedPatterns) {
        this.excluded = excludedPatterns.stream().map(Pattern::compile).toList();
    }

    /** @return the rule with {@link #DEFAULT_EXCLUDED} */
    public static DecayRule defaults() {
        return new DecayRule(DEFAULT_EXCLUDED);
    }

    /**
     * @param excludedPatterns regular expressions; a key in which one is found gets no decay
     * @return the rule
     */
    public static DecayRule excluding(List<String> excludedPatterns) {
        return new DecayRule(excludedPatterns);
    }

    /** @return a rule that decays every parameter */
    public static DecayRule all() {
        return new DecayRule(List.of());
    }

    /**
     * @param key a parameter's Hugging Face key
     * @return whether weight decay applies to it
     */
    public boolean decays(String key) {
        for (Pattern p : excluded) {
            if (p.matcher(key).find()) {
                return false;
            }
        }
        return true;
    }
}
