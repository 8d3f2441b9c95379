package io.github.peft4j.bitfit.lntuning;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.github.peft4j.core.ModulesToSave;
import io.github.peft4j.core.TargetedPeftConfig;
import java.util.List;

/**
 * Hugging Face PEFT's {@code LNTuningConfig} (Zhao et al. 2023, "Tuning LayerNorm in Attention"):
 * train only the parameters of the targeted modules, normally the norm layers. Field names,
 * defaults and {@code peft_type} {@value #PEFT_TYPE} are PEFT's; with {@code target_modules}
 * unset PEFT's default for the base model's {@code model_type} is used ({@link LnTuningDefaults}).
 *
 * <pre>{@code
 * PeftModel llama = PeftModel.create(base, LnTuningConfig.builder().build());        // input/post-attention norms + final norm
 * PeftModel bert = PeftModel.create(base2, LnTuningConfig.builder().targetModules("LayerNorm")
 *         .modulesToSave(List.of("classifier")).build());                             // + a trained head
 * }</pre>
 */
public final class LnTuningConfig extends TargetedPeftConfig implements ModulesToSave {

    /** PEFT's {@code peft_type} for LN-tuning. */
    public static final String PEFT_TYPE = "LN_TUNING";

    @JsonProperty("modules_to_save")
    private List<String> modulesToSave;

    private LnTuningConfig() {}

    @Override
    public String peftType() {
        return PEFT_TYPE;
    }

    /** @return PEFT's {@code modules_to_save}: modules trained in full beside the norms (a classifier head) */
    @Override
    public List<String> modulesToSave() {
        return modulesToSave;
    }

    /** @return a builder with PEFT's defaults */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds an {@link LnTuningConfig}. */
    public static final class Builder extends TargetedPeftConfig.Builder<LnTuningConfig, Builder> {

        private Builder() {
            super(new LnTuningConfig());
        }

        /**
         * @param modules PEFT's {@code modules_to_save}: modules trained in full, one copy per adapter
         * @return this builder
         */
        public Builder modulesToSave(List<String> modules) {
            config.modulesToSave = modules == null ? null : List.copyOf(modules);
            return this;
        }
    }
}
