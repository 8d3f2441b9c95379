package io.github.peft4j.core;

import ai.djl.ndarray.NDArray;
import io.github.peft4j.core.io.AdapterDirectory;
import java.nio.file.Path;
import java.util.Map;

/** Writing one adapter of a {@link PeftModel} in the Hugging Face PEFT directory layout. */
final class AdapterFiles {

    private AdapterFiles() {}

    /**
     * @param dir the adapter's own directory
     * @param adapter the adapter
     * @param baseNameOrPath the base model's name or path, recorded when the config has none
     * @param tensors its saved state dict
     */
    static void write(Path dir, AdapterEntry adapter, String baseNameOrPath, Map<String, NDArray> tensors) {
        PeftConfig config = adapter.config;
        if (config.baseModelNameOrPath() == null && baseNameOrPath != null) {
            config = config.withBaseModelNameOrPath(baseNameOrPath);
        }
        AdapterDirectory.write(dir, config, tensors);
    }
}
