package io.github.peft4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * The causal language-modelling loss of transformers ({@code ForCausalLMLoss}): the logits at
 * position {@code t} predict the label at {@code t + 1}; labels equal to {@value #IGNORE_INDEX}
 * (padding, prompt tokens, virtual tokens) are left out; the loss is the mean cross entropy over
 * the remaining tokens.
 *
 * <pre>{@code
 * NDArray logits = model.forward(ps, new NDList(ids, mask), true).head();   // [B, T, V]
 * NDArray loss = CausalLmLoss.compute(logits, labels);                      // labels [B, T], -100 = ignore
 * }</pre>
 */
public final class CausalLmLoss {

    /** The label value that is not predicted ({@code ignore_index}). */
    public static final long IGNORE_INDEX = -100;

    private CausalLmLoss() {}

    /**
     * @param logits [B, T, V]
     * @param labels [B, T] integer labels, {@value #IGNORE_INDEX} to ignore
     * @return the scalar mean loss over predicted tokens (0 when no token is predicted, where torch
     *     would give NaN)
     */
    public static NDArray compute(NDArray logits, NDArray labels) {
        NDArray[] sumAndCount = sumAndCount(logits, labels);
        return sumAndCount[0].div(sumAndCount[1].maximum(1f));
    }

    /**
     * The summed loss and the number of predicted tokens, for averaging over several micro-batches
     * (transformers' {@code num_items_in_batch}).
     *
     * @param logits [B, T, V]
     * @param labels [B, T]
     * @return {@code {sum, count}}, both F32 scalars
     */
    public static NDArray[] sumAndCount(NDArray logits, NDArray labels) {
        long t = logits.getShape().get(1);
        if (labels.getShape().get(1) != t) {
            throw new IllegalArgumentException("labels " + labels.getShape() + " do not match logits "
                    + logits.getShape() + " (pad labels with -100 for virtual tokens)");
        }
        NDArray shiftedLogits = logits.get(":, :-1, :");
        NDArray shiftedLabels = labels.get(":, 1:");
        return crossEntropySum(shiftedLogits.reshape(-1, logits.getShape().get(2)), shiftedLabels.reshape(-1));
    }

    /**
     * Mean cross entropy with {@code ignore_index}, for any classification output.
     *
     * @param logits [N, C]
     * @param labels [N] integer classes, {@value #IGNORE_INDEX} to ignore
     * @return the scalar mean over non-ignored rows
     */
    public static NDArray crossEntropy(NDArray logits, NDArray labels) {
        NDArray[] sumAndCount = crossEntropySum(logits, labels);
        return sumAndCount[0].div(sumAndCount[1].maximum(1f));
    }

    private static NDArray[] crossEntropySum(NDArray logits, NDArray labels) {
        NDArray target = labels.toType(DataType.INT64, false);
        NDArray valid = target.neq(IGNORE_INDEX).toType(DataType.FLOAT32, false);
        NDArray safe = target.maximum(0L);
        NDArray picked = logits.logSoftmax(-1).gather(safe.expandDims(-1), -1).squeeze(-1);
        NDArray sum = picked.neg().mul(valid).sum();
        return new NDArray[] {sum, valid.sum()};
    }
}
