package io.github.peft4j.train.testing;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.github.peft4j.core.PeftConfig;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.targeting.TargetModules;

/** Config of the test tuner: a LoRA-shaped low-rank update with input dropout. */
public final class LowRankConfig extends PeftConfig {

    @JsonProperty("target_modules")
    private TargetModules targetModules;

    @JsonProperty("r")
    private int r = 2;

    @JsonProperty("alpha")
    private double alpha = 4;

    @JsonProperty("dropout")
    private double dropout;

    private LowRankConfig() {}

    @Override
    public String peftType() {
        return LowRankMethod.TYPE;
    }

    TargetModules targetModules() {
        return targetModules;
    }

    int r() {
        return r;
    }

    double scale() {
        return alpha / r;
    }

    double dropout() {
        return dropout;
    }

    @Override
    public void validate() {
        if (r <= 0 || targetModules == null) {
            throw new PeftConfigException("r > 0 and target_modules are required");
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    public static final class Builder extends PeftConfig.Builder<LowRankConfig, Builder> {
        Builder() {
            super(new LowRankConfig());
        }

        public Builder targetModules(String... names) {
            config.targetModules = TargetModules.names(names);
            return this;
        }

        public Builder r(int r) {
            config.r = r;
            return this;
        }

        public Builder alpha(double alpha) {
            config.alpha = alpha;
            return this;
        }

        public Builder dropout(double dropout) {
            config.dropout = dropout;
            return this;
        }
    }
}
