package io.github.peft4j.train.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import io.github.peft4j.train.data.Batch;
import java.util.Map;
import java.util.Objects;

/**
 * What the trainer minimises when a loss of the outputs is not enough: the objective runs the
 * forward passes of one micro-batch itself (preference tuning scores a reference model too, a KL
 * term a second batch) and returns the loss. The trainer's default, a {@link TrainingLoss} on one
 * forward, is the objective {@link #of(TrainingLoss)}.
 *
 * <pre>{@code
 * TrainingObjective sft = TrainingObjective.of(new CausalLmLoss());
 * TrainingObjective dpo = DpoObjective.builder().beta(0.1).build();
 * PeftTrainer.builder().model(peft).args(args).objective(dpo).trainDataset(preferencePairs).build();
 * }</pre>
 */
public interface TrainingObjective {

    /**
     * One micro-batch. Called inside the step's gradient collector (training) or without gradients
     * (evaluation); everything it creates belongs to {@code manager}, which the caller closes.
     *
     * @param model the model being trained
     * @param ps the parameter store
     * @param batch the micro-batch
     * @param manager the micro-batch's manager
     * @param training whether this is a training forward (dropout on)
     * @return the loss and what it was averaged over
     */
    Output compute(Block model, ParameterStore ps, Batch batch, NDManager manager, boolean training);

    /** @return whether items are tokens of a language model (then evaluation reports perplexity) */
    default boolean tokenLevel() {
        return false;
    }

    /**
     * The result of one micro-batch.
     *
     * @param loss a scalar: the mean over the items
     * @param items how many items the loss averages over, counted on the host (tokens, rows, pairs);
     *     the trainer weights micro-batches by it
     * @param correct a scalar count of items predicted right (token accuracy, reward accuracy), or
     *     {@code null} without a notion of accuracy
     * @param metrics more scalars to log, each a mean over the items (TRL's {@code rewards/chosen}...),
     *     averaged by the trainer over micro-batches and steps
     */
    record Output(NDArray loss, long items, NDArray correct, Map<String, NDArray> metrics) {

        /** Checks the loss and copies the metrics. */
        public Output {
            Objects.requireNonNull(loss, "loss");
            metrics = Map.copyOf(metrics);
        }
    }

    /**
     * @param loss a loss of the model's outputs
     * @return the objective of one forward pass and that loss: the trainer's default
     */
    static TrainingObjective of(TrainingLoss loss) {
        return new LossObjective(loss);
    }
}
