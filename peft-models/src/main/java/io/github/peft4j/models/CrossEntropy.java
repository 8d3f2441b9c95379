package io.github.peft4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.peft4j.core.Labels;

/**
 * Cross entropy with PyTorch's {@code ignore_index} ({@link Labels#IGNORE_INDEX}), and the causal
 * language-modelling loss of transformers ({@code ForCausalLMLoss}) built on it: the logits at
 * position {@code t} predict the label at {@code t + 1}, ignored labels (padding, prompt tokens,
 * virtual tokens) are left out, and the loss is the mean over the remaining tokens. This is the one
 * implementation of the arithmetic; peft-train's {@code CausalLmLoss} and {@code ClassificationLoss}
 * wrap it for the trainer.
 *
 * <p><b>Virtual tokens.</b> Prompt tuning and P-tuning make the model return {@code n} more
 * positions than it was given tokens, in front. As PEFT's {@code PeftModelForCausalLM} does, labels
 * that are {@code n} shorter than the logits get {@code n} ignored labels in front, so the last
 * virtual token predicts the first real one ({@link #alignLabels}).
 *
 * <pre>{@code
 * NDArray logits = model.forward(ps, new NDList(ids, mask), true).head();   // [B, T (+ n), V]
 * NDArray loss = CrossEntropy.causalLm(logits, labels);                     // labels [B, T], -100 = ignore
 * }</pre>
 */
public final class CrossEntropy {

    private CrossEntropy() {}

    /**
     * @param logits [B, T + n, V], {@code n >= 0} virtual-token positions in front
     * @param labels [B, T] integer labels, {@link Labels#IGNORE_INDEX} to ignore
     * @return the scalar mean loss over predicted tokens (0 when no token is predicted, where torch
     *     would give NaN)
     * @throws IllegalArgumentException if the shapes do not fit
     */
    public static NDArray causalLm(NDArray logits, NDArray labels) {
        Sum s = causalLmSum(logits, labels);
        return s.sum().div(s.count().maximum(1f));
    }

    /**
     * The summed loss and the number of predicted tokens, for averaging over several micro-batches
     * (transformers' {@code num_items_in_batch}).
     *
     * @param logits [B, T + n, V]
     * @param labels [B, T]
     * @return the sum and the count, both F32 scalars
     */
    public static Sum causalLmSum(NDArray logits, NDArray labels) {
        NDArray aligned = alignLabels(labels, prependedPositions(logits.getShape(), labels.getShape()));
        // log-softmax over every position, then the positions that predict a label: slicing the logits
        // first made reshape copy them (the slice is not contiguous), a third [B, T, V] array alive
        // until backward. Each row's log-softmax is the same either way; the last position's is unused.
        NDArray logProbs = logits.logSoftmax(-1).get(":, :-1, :");
        NDArray target = aligned.get(":, 1:");
        return pickedSum(logProbs, target.toType(DataType.INT64, false));
    }

    /**
     * For token accuracy: how many predicted tokens the arg-max of the logits gets right.
     *
     * @param logits [B, T + n, V]
     * @param labels [B, T]
     * @return an INT64 scalar
     */
    public static NDArray causalLmCorrect(NDArray logits, NDArray labels) {
        NDArray aligned = alignLabels(labels, prependedPositions(logits.getShape(), labels.getShape()));
        return correct(logits.get(":, :-1, :"), aligned.get(":, 1:"));
    }

    /**
     * Mean cross entropy with {@code ignore_index}, for any classification output.
     *
     * @param logits [N, C]
     * @param labels [N] integer classes, {@link Labels#IGNORE_INDEX} to ignore
     * @return the scalar mean over non-ignored rows (0 if there are none)
     */
    public static NDArray mean(NDArray logits, NDArray labels) {
        Sum s = sum(logits, labels);
        return s.sum().div(s.count().maximum(1f));
    }

    /**
     * @param logits [..., C]
     * @param labels [...] integer classes, {@link Labels#IGNORE_INDEX} to ignore
     * @return how many non-ignored labels the arg-max of the logits gets right, an INT64 scalar
     */
    public static NDArray correct(NDArray logits, NDArray labels) {
        NDArray target = labels.toType(DataType.INT64, false);
        return logits.argMax(-1).eq(target).logicalAnd(target.neq(Labels.IGNORE_INDEX))
                .toType(DataType.INT64, false).sum();
    }

    /**
     * The number of positions a prompt method put in front of the logits: PEFT's shape rule.
     *
     * @param logits [B, T + n, V]
     * @param labels [B, T]
     * @return {@code n >= 0}
     * @throws IllegalArgumentException if the shapes are not of that form
     */
    public static int prependedPositions(Shape logits, Shape labels) {
        if (logits.dimension() != 3 || labels.dimension() != 2 || logits.get(0) != labels.get(0)
                || logits.get(1) < labels.get(1)) {
            throw new IllegalArgumentException("causal LM loss needs logits [B, T (+ virtual tokens), V] and labels"
                    + " [B, T], got " + logits + " and " + labels);
        }
        return Math.toIntExact(logits.get(1) - labels.get(1));
    }

    /**
     * PEFT's label padding for virtual tokens: {@code n} times {@link Labels#IGNORE_INDEX} in front
     * of every row.
     *
     * @param labels [B, T] integer labels
     * @param n the number of virtual tokens
     * @return [B, n + T], in the manager of {@code labels}; {@code labels} itself when {@code n} is 0
     */
    public static NDArray alignLabels(NDArray labels, int n) {
        if (n == 0) {
            return labels;
        }
        NDArray pad = labels.getManager().full(new Shape(labels.getShape().get(0), n), Labels.IGNORE_INDEX,
                labels.getDataType());
        return NDArrays.concat(new NDList(pad, labels), 1);
    }

    private static Sum sum(NDArray logits, NDArray labels) {
        return pickedSum(logits.logSoftmax(-1), labels.toType(DataType.INT64, false));
    }

    /** The negated log-probabilities of the labels, summed over the non-ignored ones, flattened in row order. */
    private static Sum pickedSum(NDArray logProbs, NDArray target) {
        NDArray valid = target.neq(Labels.IGNORE_INDEX).toType(DataType.FLOAT32, false).reshape(-1);
        NDArray safe = target.maximum(0L);
        NDArray picked = logProbs.gather(safe.expandDims(-1), -1).reshape(-1);
        return new Sum(picked.neg().mul(valid).sum(), valid.sum());
    }

    /**
     * A summed loss and the number of items it sums over.
     *
     * @param sum the F32 scalar sum of the per-item losses
     * @param count the F32 scalar number of items
     */
    public record Sum(NDArray sum, NDArray count) {}
}
