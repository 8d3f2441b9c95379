package io.github.peft4j.core;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.github.peft4j.core.targeting.TargetModules;
import java.util.List;

/**
 * A config for a tuner that adapts chosen modules: PEFT's {@code target_modules} and
 * {@code exclude_modules}, with their builder setters, shared by LoRA-like tuners.
 *
 * <pre>{@code
 * Ia3Config config = Ia3Config.builder().targetModules("k_proj", "v_proj", "down_proj")
 *         .excludeModules(TargetModules.names("model.layers.0.self_attn.k_proj")).build();
 * config.targetModules();   // [k_proj, v_proj, down_proj]
 * }</pre>
 */
public abstract class TargetedPeftConfig extends PeftConfig {

    @JsonProperty("target_modules")
    private TargetModules targetModules;

    @JsonProperty("exclude_modules")
    private TargetModules excludeModules;

    /** For Jackson and subclasses. */
    protected TargetedPeftConfig() {}

    /** @return the modules to adapt, or {@code null} for the tuner's per-architecture default */
    public TargetModules targetModules() {
        return targetModules;
    }

    /** @return modules never adapted, or {@code null} */
    public TargetModules excludeModules() {
        return excludeModules;
    }

    /** Checks what every targeted tuner checks; a subclass that adds checks calls this first. */
    @Override
    public void validate() {
        if (excludeModules != null && excludeModules.isAllLinear()) {
            throw new PeftConfigException("exclude_modules cannot be 'all-linear'");
        }
    }

    /**
     * The target setters every targeted tuner's builder has.
     *
     * @param <C> the config type
     * @param <B> the concrete builder type
     */
    public abstract static class Builder<C extends TargetedPeftConfig, B extends Builder<C, B>>
            extends PeftConfig.Builder<C, B> {

        /** @param empty a config holding the defaults */
        protected Builder(C empty) {
            super(empty);
        }

        /**
         * @param names module names or dotted path suffixes
         * @return this builder
         */
        public B targetModules(String... names) {
            return targetModules(TargetModules.names(names));
        }

        /**
         * @param names module names or dotted path suffixes
         * @return this builder
         */
        public B targetModules(List<String> names) {
            return targetModules(TargetModules.names(names));
        }

        /**
         * @param targets a name list, a regex or all-linear
         * @return this builder
         */
        public B targetModules(TargetModules targets) {
            ((TargetedPeftConfig) config).targetModules = targets;
            return self();
        }

        /**
         * @param exclude modules never adapted
         * @return this builder
         */
        public B excludeModules(TargetModules exclude) {
            ((TargetedPeftConfig) config).excludeModules = exclude;
            return self();
        }
    }
}
