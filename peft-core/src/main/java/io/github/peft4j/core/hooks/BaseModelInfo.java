package io.github.peft4j.core.hooks;

import java.util.Optional;

/**
 * What a tuner may ask of a base model without depending on the models module. Implemented by the
 * root block of a model (peft-models' GPT-2, Llama and BERT blocks do).
 *
 * <pre>{@code
 * if (base instanceof BaseModelInfo info && info.modelType().equals("llama")) {
 *     targets = List.of("q_proj", "v_proj");
 * }
 * }</pre>
 */
public interface BaseModelInfo {

    /** @return Hugging Face's {@code model_type}: {@code llama}, {@code gpt2}, {@code bert}, ... */
    String modelType();

    /** @return the module path of the output head (excluded from {@code all-linear}), if any */
    default Optional<String> outputEmbeddingsPath() {
        return Optional.empty();
    }

    /** @return the name or directory the model was loaded from, recorded in saved adapters */
    default Optional<String> nameOrPath() {
        return Optional.empty();
    }
}
