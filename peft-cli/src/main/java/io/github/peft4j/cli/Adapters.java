package io.github.peft4j.cli;

import io.github.peft4j.core.PeftException;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.models.PretrainedModel;
import java.nio.file.Path;

/** Loads an adapter onto a base model, saying in one line when it belongs to another base. */
final class Adapters {

    private Adapters() {}

    /**
     * @param base the loaded base model
     * @param dir the adapter directory
     * @return the base wrapped with the adapter, active, frozen
     */
    static PeftModel load(PretrainedModel base, Path dir) {
        Inputs.requireDir(dir, "adapter directory");
        Inputs.requireFile(dir.resolve("adapter_config.json"), "adapter config");
        try {
            return PeftModel.fromPretrained(base.block(), dir);
        } catch (PeftException e) {
            String baseName = base.config().nameOrPath().orElse(base.dir().map(Path::toString).orElse("?"));
            throw new UserError("adapter " + dir + " does not fit the base model " + baseName + ": " + e.getMessage());
        }
    }
}
