package io.github.peft4j.train.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import io.github.peft4j.train.data.Batch;
import io.github.peft4j.train.data.TokenizedExample;

/**
 * Sequence-classification cross-entropy: logits [B, C] against class ids [B] (rows labelled
 * {@value TokenizedExample#IGNORE} are skipped), averaged over the rows; accuracy is the share of
 * rows whose arg-max is the label.
 *
 * <pre>{@code
 * NDArray loss = new ClassificationLoss().compute(new NDList(logits), classIds);
 * }</pre>
 */
public class ClassificationLoss implements TrainingLoss {

    @Override
    public NDArray compute(NDList outputs, NDArray labels) {
        NDArray logits = check(outputs.head(), labels);
        NDArray ids = labels.toType(DataType.INT64, false);
        NDArray valid = ids.neq(TokenizedExample.IGNORE);
        NDArray safe = ids.mul(valid.toType(DataType.INT64, false));
        NDArray logProbs = logits.logSoftmax(-1).gather(safe.expandDims(-1), -1).squeeze(-1);
        NDArray weights = valid.toType(DataType.FLOAT32, false);
        return logProbs.mul(weights).sum().neg().div(weights.sum().maximum(1f));
    }

    @Override
    public long itemCount(Batch batch) {
        return batch.labelCount(0);
    }

    @Override
    public NDArray correctCount(NDList outputs, NDArray labels) {
        NDArray logits = check(outputs.head(), labels);
        NDArray ids = labels.toType(DataType.INT64, false);
        return logits.argMax(-1).eq(ids).logicalAnd(ids.neq(TokenizedExample.IGNORE))
                .toType(DataType.INT64, false).sum();
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
