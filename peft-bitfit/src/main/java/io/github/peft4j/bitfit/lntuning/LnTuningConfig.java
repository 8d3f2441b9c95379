package io.github.peft4j.bitfit.lntuning;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.github.peft4j.core.PeftConfig;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.target.TargetModules;
import java.util.List;

/**
 * Hugging Face PEFT's {@code LNTuningConfig} (Zhao et al. 2023, "Tuning LayerNorm in Attention"):
 * train only the parameters of the targeted modules, normally the norm layers. Field names,
 * defaults and {@code peft_type} {@value #PEFT_TYPE} are PEFT's; with {@code target_modules}
 * unset PEFT's default for the base model's {@code model_type} is used ({@link LnTuningDefaults}).
 *
 * <pre>{@code
 * PeftModel llama = PeftModel.create(base, LnTuningConfig.builder().build());        // input/post-attention norms + final norm
 * PeftModel bert = PeftModel.create(base2, LnTuningConfig.builder().targetModules("LayerNorm").build());
 * }</pre>
 */
public final class LnTuningConfig extends PeftConfig {

    /** PEFT's {@code peft_type} for LN-tuning. */
    public static final String PEFT_TYPE = "LN_TUNING";

    @JsonProperty("target_modules")
    private TargetModules targetModules;

    @JsonProperty("exclude_modules")
    private TargetModules excludeModules;

    @JsonProperty("modules_to_save")
    private List<String> modulesToSave;

    private LnTuningConfig() {}

    @Override
    public String peftType() {
        return PEFT_TYPE;
    }

    /** @return the modules to tune, or {@code null} for PEFT's per-architecture default */
    public TargetModules targetModules() {
        return targetModules;
    }

    /** @return modules left alone, or {@code null} */
    public TargetModules excludeModules() {
        return excludeModules;
    }

    /** @return PEFT's {@code modules_to_save}; not supported yet, so it must be empty */
    public List<String> modulesToSave() {
        return modulesToSave;
    }

    @Override
    public void validate() {
        if (excludeModules != null && excludeModules.isAllLinear()) {
            throw new PeftConfigException("exclude_modules cannot be 'all-linear'");
        }
    }

    /** @return a builder with PEFT's defaults */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds an {@link LnTuningConfig}. */
    public static final class Builder extends PeftConfig.Builder<LnTuningConfig, Builder> {

        private Builder() {
            super(new LnTuningConfig());
        }

        /**
         * @param names module names or dotted suffixes
         * @return this builder
         */
        public Builder targetModules(String... names) {
            return targetModules(TargetModules.names(names));
        }

        /**
         * @param targets names or a regex
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
         * @param modules PEFT's {@code modules_to_save} (must be empty: not supported yet)
         * @return this builder
         */
        public Builder modulesToSave(List<String> modules) {
            config.modulesToSave = modules == null ? null : List.copyOf(modules);
            return this;
        }
    }
}
