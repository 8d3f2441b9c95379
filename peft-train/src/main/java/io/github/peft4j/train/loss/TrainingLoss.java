package io.github.peft4j.train.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import io.github.peft4j.train.data.Batch;

/**
 * The loss a trainer minimises, computed from the model's outputs and the batch labels. It returns
 * the mean over the items it scores (tokens, rows) and says how many items a batch has, so that the
 * trainer can weight micro-batches of a gradient-accumulation step by their share of the items and
 * the accumulated gradient equals that of one big batch.
 *
 * <pre>{@code
 * TrainingLoss mse = new TrainingLoss() {
 *     public NDArray compute(NDList outputs, NDArray labels) {
 *         return outputs.head().sub(labels.toType(DataType.FLOAT32, false)).square().mean();
 *     }
 *     public long itemCount(Batch batch) { return batch.size(); }
 * };
 * }</pre>
 */
public interface TrainingLoss {

    /**
     * @param outputs the model's outputs (logits first)
     * @param labels the batch labels
     * @return a scalar: the mean loss over the scored items (0 if there are none)
     */
    NDArray compute(NDList outputs, NDArray labels);

    /**
     * @param batch a batch
     * @return how many items {@link #compute} averages over for it, counted on the host
     */
    long itemCount(Batch batch);

    /**
     * The item count once the model's outputs for the batch are known: a model may return more
     * positions than it was given (prompt tuning's virtual tokens), which can score more labels.
     * The trainer and the evaluator weight batches by this count.
     *
     * @param batch a batch
     * @param outputs the model's outputs for it
     * @return how many items {@link #compute} averages over for these outputs; {@link #itemCount(Batch)}
     *     by default
     */
    default long itemCount(Batch batch, NDList outputs) {
        return itemCount(batch);
    }

    /**
     * For accuracy: how many scored items the model predicts right (arg-max of the logits).
     *
     * @param outputs the model's outputs
     * @param labels the batch labels
     * @return a scalar count, or {@code null} if this loss has no notion of accuracy
     */
    default NDArray correctCount(NDList outputs, NDArray labels) {
        return null;
    }

    /** @return whether items are tokens of a language model (then perplexity is reported) */
    default boolean tokenLevel() {
        return false;
    }
}
