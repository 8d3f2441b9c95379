package io.github.peft4j.train.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import io.github.peft4j.train.data.Batch;
import java.util.Map;
import java.util.Objects;

/**
 * A {@link TrainingLoss} as an objective: one forward pass, the loss of its outputs against the
 * batch labels, weighted by {@link TrainingLoss#itemCount(Batch, NDList)}.
 *
 * <pre>{@code
 * TrainingObjective sft = TrainingObjective.of(new CausalLmLoss());
 * }</pre>
 */
final class LossObjective implements TrainingObjective {

    private final TrainingLoss loss;

    LossObjective(TrainingLoss loss) {
        this.loss = Objects.requireNonNull(loss, "loss");
    }

    @Override
    public Output compute(Block model, ParameterStore ps, Batch batch, NDManager manager, boolean training) {
        NDList outputs = model.forward(ps, batch.inputs(manager), training);
        NDArray labels = batch.labels(manager);
        NDArray mean = loss.compute(outputs, labels);
        // accuracy costs an arg-max over the vocabulary: only evaluation reports it
        NDArray correct = training ? null : loss.correctCount(outputs, labels);
        return new Output(mean, loss.itemCount(batch, outputs), correct, Map.of());
    }

    @Override
    public boolean tokenLevel() {
        return loss.tokenLevel();
    }

    @Override
    public String toString() {
        return loss.getClass().getSimpleName();
    }
}
