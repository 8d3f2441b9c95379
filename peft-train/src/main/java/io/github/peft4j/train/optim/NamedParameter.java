package io.github.peft4j.train.optim;

import ai.djl.nn.Parameter;
import java.util.Objects;

/**
 * A trainable parameter with a stable name (its Hugging Face key, as in
 * {@code model.named_parameters()}) and whether weight decay applies to it. Optimizer state is
 * keyed by the name, so that a checkpoint restores it onto the same tensor of a freshly built
 * model.
 *
 * <pre>{@code
 * NamedParameter p = new NamedParameter("model.layers.0.q_proj.lora_A.default.weight", param, true);
 * }</pre>
 *
 * @param name the parameter's key
 * @param parameter the parameter, initialised
 * @param decay whether decoupled weight decay (AdamW) or L2 (SGD) applies
 */
public record NamedParameter(String name, Parameter parameter, boolean decay) {

    /** Checks the fields. */
    public NamedParameter {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(parameter, "parameter");
    }
}
