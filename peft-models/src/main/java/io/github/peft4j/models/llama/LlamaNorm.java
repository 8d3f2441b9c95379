package io.github.peft4j.models.llama;

import io.github.peft4j.models.config.LlamaConfig;
import io.github.peft4j.models.nn.RmsNorm;

/** The RMSNorm of a Llama-family configuration: Gemma's scales by {@code 1 + w}, the others by {@code w}. */
final class LlamaNorm {

    private LlamaNorm() {}

    /**
     * @param config the configuration
     * @param size the normalised size (hidden, or a head for q/k norms)
     * @return a new norm
     */
    static RmsNorm of(LlamaConfig config, int size) {
        return new RmsNorm(size, config.rmsNormEps(), config.gemma().isPresent());
    }
}
