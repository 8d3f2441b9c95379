package io.github.peft4j.bitfit;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.github.peft4j.core.TargetedPeftConfig;
import java.util.List;

/**
 * BitFit (Ben Zaken et al. 2022): train only bias terms. With {@code target_modules} unset every
 * module that has a bias is tuned; otherwise only the matched modules (PEFT's matching rules:
 * names match a path or a dotted suffix, a string is a regex over the whole path).
 * {@code add_missing_biases} gives matched linear layers without a bias (the Llama family) a
 * zero-initialised one, so BitFit still applies; with {@code target_modules} unset it then covers
 * every linear layer but the output head. peft4j's own {@code peft_type} is {@value #PEFT_TYPE}.
 *
 * <pre>{@code
 * BitFitConfig all = BitFitConfig.builder().build();
 * BitFitConfig paper = BitFitConfig.builder().targetModules(BitFitConfig.PAPER_SUBSET).build(); // query + MLP-intermediate
 * BitFitConfig llama = BitFitConfig.builder().targetModules("q_proj", "up_proj").addMissingBiases(true).build();
 * }</pre>
 */
public final class BitFitConfig extends TargetedPeftConfig {

    /** peft4j's {@code peft_type} for BitFit. */
    public static final String PEFT_TYPE = "BITFIT";

    /**
     * The BitFit paper's small subset, the query bias and the first (intermediate) MLP bias, under
     * the module names of BERT/RoBERTa ({@code query}, {@code intermediate.dense}), GPT-2
     * ({@code mlp.c_fc}; its query is fused into {@code c_attn}, so it has no query-only bias) and
     * the Llama family ({@code q_proj}, {@code up_proj}; with {@link Builder#addMissingBiases}).
     */
    public static final List<String> PAPER_SUBSET = List.of("query", "intermediate.dense", "mlp.c_fc", "q_proj", "up_proj");

    @JsonProperty("add_missing_biases")
    private boolean addMissingBiases;

    private BitFitConfig() {}

    @Override
    public String peftType() {
        return PEFT_TYPE;
    }

    /** @return whether bias-less linear layers among the targets get a zero bias to train */
    public boolean addMissingBiases() {
        return addMissingBiases;
    }

    /** @return a builder: every bias, no added biases */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds a {@link BitFitConfig}. */
    public static final class Builder extends TargetedPeftConfig.Builder<BitFitConfig, Builder> {

        private Builder() {
            super(new BitFitConfig());
        }

        /**
         * @param add whether bias-less linear targets get a zero bias to train
         * @return this builder
         */
        public Builder addMissingBiases(boolean add) {
            config.addMissingBiases = add;
            return this;
        }
    }
}
