package io.github.peft4j.adapters.ia3;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.github.peft4j.core.ModulesToSave;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.TargetedPeftConfig;
import io.github.peft4j.core.targeting.TargetMatcher;
import io.github.peft4j.core.targeting.TargetModules;
import java.util.HashSet;
import java.util.List;

/**
 * Hugging Face PEFT's {@code IA3Config}: learned vectors that rescale the output of
 * {@code target_modules}, or the input of those also listed in {@code feedforward_modules}. Field
 * names and defaults are PEFT's; when {@code target_modules} or {@code feedforward_modules} is
 * {@code null}, PEFT's default for the base model's {@code model_type} is used
 * ({@link Ia3Defaults}) and written into the config the model keeps and saves, as PEFT's
 * {@code _prepare_adapter_config} does. {@code modules_to_save} are trained in full by core.
 *
 * <pre>{@code
 * Ia3Config config = Ia3Config.builder()
 *         .targetModules("key", "value", "output.dense")
 *         .feedforwardModules("output.dense")
 *         .build();
 * PeftModel model = PeftModel.create(bert, config);
 * }</pre>
 */
public final class Ia3Config extends TargetedPeftConfig implements ModulesToSave {

    /** The {@code peft_type} of (IA)³. */
    public static final String PEFT_TYPE = "IA3";

    @JsonProperty("feedforward_modules")
    private TargetModules feedforwardModules;

    @JsonProperty("fan_in_fan_out")
    private boolean fanInFanOut;

    @JsonProperty("modules_to_save")
    private List<String> modulesToSave;

    @JsonProperty("init_ia3_weights")
    private boolean initIa3Weights = true;

    private Ia3Config() {}

    @Override
    public String peftType() {
        return PEFT_TYPE;
    }

    /**
     * @return the targets whose input (not output) is scaled, or {@code null} for PEFT's default; a
     *     list entry {@code e} marks a target whose path ends with {@code e} (PEFT's plain
     *     {@code endswith}), a string is a regex matched against the whole path
     */
    public TargetModules feedforwardModules() {
        return feedforwardModules;
    }

    /**
     * @return PEFT's {@code fan_in_fan_out}; peft4j takes the weight layout from the layer itself
     *     and, as PEFT, only warns when this disagrees
     */
    public boolean fanInFanOut() {
        return fanInFanOut;
    }

    /** @return PEFT's {@code modules_to_save}: modules trained in full and saved with the adapter, or {@code null} */
    @Override
    public List<String> modulesToSave() {
        return modulesToSave;
    }

    /** @return whether vectors start at 1 (the identity); otherwise standard normal, as PEFT */
    public boolean initIa3Weights() {
        return initIa3Weights;
    }

    /**
     * @return PEFT's targeting rules of this config: {@code target_modules} (which must be set, as
     *     after {@link Ia3Method#prepareConfig}), {@code exclude_modules}, and {@code modules_to_save}
     *     never targeted
     */
    public TargetMatcher matcher() {
        return TargetMatcher.builder().targets(targetModules()).exclude(excludeModules()).modulesToSave(modulesToSave).build();
    }

    /**
     * @param targets the {@code target_modules} to record
     * @param feedforward the {@code feedforward_modules} to record
     * @return a validated copy of this config with both set
     */
    Ia3Config withModules(TargetModules targets, TargetModules feedforward) {
        return new Builder((Ia3Config) copy()).targetModules(targets).feedforwardModules(feedforward).build();
    }

    /** PEFT's {@code __post_init__} check: listed feed-forward modules must be listed targets. */
    @Override
    public void validate() {
        TargetModules targets = targetModules();
        if (feedforwardModules != null && targets != null && feedforwardModules.isNames() && targets.isNames()
                && !new HashSet<>(targets.names()).containsAll(feedforwardModules.names())) {
            throw new PeftConfigException("`feedforward_modules` should be a subset of `target_modules`: "
                    + feedforwardModules.names() + " is not within " + targets.names());
        }
        super.validate();
    }

    /** @return a builder holding PEFT's defaults */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds an {@link Ia3Config}. */
    public static final class Builder extends TargetedPeftConfig.Builder<Ia3Config, Builder> {

        private Builder() {
            this(new Ia3Config());
        }

        private Builder(Ia3Config start) {
            super(start);
        }

        /**
         * @param names path suffixes of the targets whose input is scaled
         * @return this builder
         */
        public Builder feedforwardModules(String... names) {
            return feedforwardModules(TargetModules.names(names));
        }

        /**
         * @param feedforward a name list or a regex
         * @return this builder
         */
        public Builder feedforwardModules(TargetModules feedforward) {
            config.feedforwardModules = feedforward;
            return this;
        }

        /**
         * @param fanInFanOut PEFT's flag (informational: the layer decides)
         * @return this builder
         */
        public Builder fanInFanOut(boolean fanInFanOut) {
            config.fanInFanOut = fanInFanOut;
            return this;
        }

        /**
         * @param init whether vectors start at 1
         * @return this builder
         */
        public Builder initIa3Weights(boolean init) {
            config.initIa3Weights = init;
            return this;
        }

        /**
         * @param modules PEFT's {@code modules_to_save}: names of modules (a classifier, say) trained in full
         * @return this builder
         */
        public Builder modulesToSave(String... modules) {
            return modulesToSave(List.of(modules));
        }

        /**
         * @param modules PEFT's {@code modules_to_save}, or {@code null} for none
         * @return this builder
         */
        public Builder modulesToSave(List<String> modules) {
            config.modulesToSave = modules == null ? null : List.copyOf(modules);
            return this;
        }
    }
}
