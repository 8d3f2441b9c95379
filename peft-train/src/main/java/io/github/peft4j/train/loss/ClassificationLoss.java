package io.github.peft4j.train.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import io.github.peft4j.core.Labels;
import io.github.peft4j.models.CrossEntropy;
import io.github.peft4j.train.data.Batch;

/**
 * Sequence-classification cross-entropy: logits [B, C] against class ids [B] (rows labelled
 * {@value Labels#IGNORE_INDEX} are skipped), averaged over the rows; accuracy is the share of
 * rows whose arg-max is the label. The arithmetic is {@link CrossEntropy}'s.
 *
 * <pre>{@code
 * NDArray loss = new ClassificationLoss().compute(new NDList(logits), classIds);
 * }</pre>
 */
public class ClassificationLoss implements TrainingLoss {

    @Override
    public NDArray compute(NDList outputs, NDArray labels) {
        return CrossEntropy.mean(check(outputs.head(), labels), labels);
    }

    @Override
    public long itemCount(Batch batch) {
        return batch.labelCount(0);
    }

    @Override
    public NDArray correctCount(NDList outputs, NDArray labels) {
        return CrossEntropy.correct(check(outputs.head(), labels), labels);
    }

    private static NDArray check(NDArray logits, NDArray labels) {
        if (logits.getShape().dimension() != 2 || labels.getShape().dimension() != 1
                || logits.getShape().get(0) != labels.getShape().get(0)) {
            throw new IllegalArgumentException("classification loss needs logits [B, C] and labels [B], got "
                    + logits.getShape() + " and " + labels.getShape());
        }
        return logits;
    }
}
