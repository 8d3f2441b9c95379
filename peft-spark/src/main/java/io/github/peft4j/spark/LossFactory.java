package io.github.peft4j.spark;

import io.github.peft4j.train.loss.TrainingLoss;
import java.io.Serializable;

/**
 * Makes the training loss on each executor (losses are not serializable themselves).
 *
 * <pre>{@code
 * LossFactory causal = CausalLmLoss::new;
 * }</pre>
 */
@FunctionalInterface
public interface LossFactory extends Serializable {

    /** @return a loss */
    TrainingLoss create();
}
