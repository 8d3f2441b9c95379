package io.github.peft4j.train.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import io.github.peft4j.train.data.Batch;
import io.github.peft4j.train.data.TokenizedExample;

/**
 * Causal language-modelling cross-entropy with Hugging Face semantics: logits at position
 * {@code t} are scored against the label at {@code t + 1} (the model shifts, the data does not),
 * labels of {@value TokenizedExample#IGNORE} take no loss, and the loss is the mean over the scored
 * tokens, as {@code ForCausalLMLoss} with {@code ignore_index=-100}.
 *
 * <pre>{@code
 * NDArray loss = new CausalLmLoss().compute(new NDList(logits), labels);   // logits [B,T,V], labels [B,T]
 * }</pre>
 */
public class CausalLmLoss implements TrainingLoss {

    @Override
    public NDArray compute(NDList outputs, NDArray labels) {
        shift(outputs.head(), labels); // validates the shapes with a trainer-level message
        return io.github.peft4j.models.CausalLmLoss.compute(outputs.head(), labels);
    }

    @Override
    public long itemCount(Batch batch) {
        return batch.labelCount(1);
    }

    @Override
    public NDArray correctCount(NDList outputs, NDArray labels) {
        Shifted s = shift(outputs.head(), labels);
        NDArray predicted = s.logits.argMax(-1);
        return predicted.eq(s.labels).logicalAnd(s.valid).toType(DataType.INT64, false).sum();
    }

    @Override
    public boolean tokenLevel() {
        return true;
    }

    private static Shifted shift(NDArray logits, NDArray labels) {
        if (logits.getShape().dimension() != 3 || labels.getShape().dimension() != 2
                || logits.getShape().get(0) != labels.getShape().get(0)
                || logits.getShape().get(1) != labels.getShape().get(1)) {
            throw new IllegalArgumentException("causal LM loss needs logits [B, T, V] and labels [B, T], got "
                    + logits.getShape() + " and " + labels.getShape());
        }
        NDArray shiftedLogits = logits.get(":, :-1, :");
        NDArray shiftedLabels = labels.get(":, 1:").toType(DataType.INT64, false);
        NDArray valid = shiftedLabels.neq(TokenizedExample.IGNORE);
        NDArray safe = shiftedLabels.mul(valid.toType(DataType.INT64, false));
        return new Shifted(shiftedLogits, shiftedLabels, valid, safe);
    }

    private record Shifted(NDArray logits, NDArray labels, NDArray valid, NDArray safeLabels) {}
}
