package io.github.peft4j.bitfit;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.github.peft4j.core.PeftConfig;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.target.TargetModules;
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
public final class BitFitConfig extends PeftConfig {

    /** peft4j's {@code peft_type} for BitFit. */
    public static final String PEFT_TYPE = "BITFIT";

    /**
     * The BitFit paper's small subset, the query bias and the first (intermediate) MLP bias, under
     * the module names of BERT/RoBERTa ({@code query}, {@code intermediate.dense}), GPT-2
     * ({@code mlp.c_fc}; its query is fused into {@code c_attn}, so it has no query-only bias) and
     * the Llama family ({@code q_proj}, {@code up_proj}; with {@link Builder#addMissingBiases}).
     */
    public static final List<String> PAPER_SUBSET = List.of("query", "intermediate.dense", "mlp.c_fc", "q_proj", "up_proj");

    @JsonProperty("target_modules")
    private TargetModules targetModules;

    @JsonProperty("exclude_modules")
    private TargetModules excludeModules;

    @JsonProperty("add_missing_biases")
    private boolean addMissingBiases;

    private BitFitConfig() {}

    @Override
    public String peftType() {
        return PEFT_TYPE;
    }

    /** @return the modules whose bias is trained, or {@code null} for every bias */
    public TargetModules targetModules() {
        return targetModules;
    }

    /** @return modules left alone, or {@code null} */
    public TargetModules excludeModules() {
        return excludeModules;
    }

    /** @return whether bias-less linear layers among the targets get a zero bias to train */
    public boolean addMissingBiases() {
        return addMissingBiases;
    }

    @Override
    public void validate() {
        if (excludeModules != null && excludeModules.isAllLinear()) {
            throw new PeftConfigException("exclude_modules cannot be 'all-linear'");
        }
    }

    /** @return a builder: every bias, no added biases */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds a {@link BitFitConfig}. */
    public static final class Builder extends PeftConfig.Builder<BitFitConfig, Builder> {

        private Builder() {
            super(new BitFitConfig());
        }

        /**
         * @param names module names or dotted suffixes
         * @return this builder
         */
        public Builder targetModules(String... names) {
            return targetModules(TargetModules.names(names));
        }

        /**
         * @param names module names or dotted suffixes
         * @return this builder
         */
        public Builder targetModules(List<String> names) {
            return targetModules(TargetModules.names(names));
        }

        /**
         * @param targets names, a regex or all-linear; {@code null} for every bias
         * @return this builder
         */
        public Builder targetModules(TargetModules targets) {
            config.targetModules = targets;
            return this;
        }

        /**
         * @param exclude modules left alone
         * @return this builder
         */
        public Builder excludeModules(TargetModules exclude) {
            config.excludeModules = exclude;
            return this;
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
