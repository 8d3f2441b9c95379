package io.github.peft4j.train;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The optimizers the trainer offers (HF's {@code optim} argument).
 *
 * <pre>{@code
 * TrainingArguments.builder().optimizer(OptimizerType.SGD).sgdMomentum(0.9);
 * }</pre>
 */
public enum OptimizerType {
    /** torch's AdamW: decoupled weight decay, bias correction ({@code adamw_torch}). */
    @JsonProperty("adamw_torch")
    ADAMW,
    /** torch's SGD with optional momentum and L2 weight decay ({@code sgd}). */
    @JsonProperty("sgd")
    SGD
}
