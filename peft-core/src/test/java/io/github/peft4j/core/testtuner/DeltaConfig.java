package io.github.peft4j.core.testtuner;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.github.peft4j.core.ModulesToSave;
import io.github.peft4j.core.PeftConfig;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.targeting.TargetModules;
import java.util.List;

/** Config of the test-only tuner: a low-rank delta on listed linear layers. */
public final class DeltaConfig extends PeftConfig implements ModulesToSave {

    @JsonProperty("target_modules")
    private TargetModules targetModules;

    // written only when set, so the saved-config bytes PeftModelTest pins stay those of a config without it
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonProperty("modules_to_save")
    private List<String> modulesToSave;

    @JsonProperty("r")
    private int r = 2;

    @JsonProperty("scale")
    private double scale = 1.0;

    private DeltaConfig() {}

    @Override
    public String peftType() {
        return DeltaMethod.TYPE;
    }

    public TargetModules targetModules() {
        return targetModules;
    }

    @Override
    public List<String> modulesToSave() {
        return modulesToSave;
    }

    public int r() {
        return r;
    }

    public double scale() {
        return scale;
    }

    @Override
    public void validate() {
        if (r <= 0) {
            throw new PeftConfigException("r must be > 0, got " + r);
        }
        if (targetModules == null) {
            throw new PeftConfigException("target_modules must be set");
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    public static final class Builder extends PeftConfig.Builder<DeltaConfig, Builder> {
        Builder() {
            super(new DeltaConfig());
        }

        public Builder targetModules(String... names) {
            config.targetModules = TargetModules.names(names);
            return this;
        }

        public Builder modulesToSave(String... names) {
            config.modulesToSave = List.of(names);
            return this;
        }

        public Builder r(int r) {
            config.r = r;
            return this;
        }

        public Builder scale(double scale) {
            config.scale = scale;
            return this;
        }
    }
}
