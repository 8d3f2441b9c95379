package io.github.peft4j.train.optim;

import ai.djl.ndarray.NDArray;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * An optimizer over named trainable parameters that updates them in place from their current
 * gradients, with all of its state created up front in a manager the caller owns (never lazily
 * inside a training step), so that the state can be checkpointed and restored exactly.
 *
 * <pre>{@code
 * PeftOptimizer opt = AdamW.builder().betas(0.9, 0.999).weightDecay(0.01).build(params, stateManager);
 * // after backward:
 * opt.step(2e-4);
 * opt.zeroGrad();
 * }</pre>
 */
public interface PeftOptimizer {

    /** @return the name written to checkpoints ({@code adamw}, {@code sgd}) */
    String name();

    /** @return the parameters it updates */
    List<NamedParameter> parameters();

    /**
     * Applies one update with the current gradients. Runs without autograd and releases every
     * temporary it creates.
     *
     * @param learningRate the learning rate of this step
     */
    void step(double learningRate);

    /** @return how many updates were applied ({@code state["step"]} in torch) */
    long stepCount();

    /** Sets every gradient of {@link #parameters()} to zero. */
    void zeroGrad();

    /**
     * @return the state tensors keyed {@code <parameter name>.<state name>} (torch's names:
     *     {@code exp_avg}, {@code exp_avg_sq}, {@code momentum_buffer}); the arrays are the live state
     */
    Map<String, NDArray> stateTensors();

    /**
     * Restores state saved from {@link #stateTensors()} and {@link #stepCount()}.
     *
     * @param tensors the saved tensors; every expected key must be present with the same shape
     * @param stepCount the saved step count
     * @param source the file they came from, for messages
     * @throws io.github.peft4j.core.PeftFormatException naming the file and key if one is
     *     missing or has the wrong shape
     */
    void loadState(Map<String, NDArray> tensors, long stepCount, Path source);
}
