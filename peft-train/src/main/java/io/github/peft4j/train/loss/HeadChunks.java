package io.github.peft4j.train.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.peft4j.core.Labels;
import io.github.peft4j.core.tuner.Tensors;
import io.github.peft4j.models.nn.SoftCapping;

/**
 * The arithmetic of {@link ChunkedCausalLmLoss}, outside the autograd graph: for a block of rows of
 * the final hidden states at a time, the logits {@code h W^T} (soft-capped), the summed cross entropy
 * against the targets, and the gradient of the mean loss with respect to those rows,
 * {@code ((softmax - onehot) * cap'(z) / count) W}. Only one block's [rows, vocab] logits exist at
 * once; they are freed before the next block.
 *
 * <pre>{@code
 * HeadChunks.Result r = HeadChunks.run(flatHidden, targets, head, 64, true, false);   // [N, H], [N]
 * NDArray mean = r.lossSum().div(r.count());
 * }</pre>
 */
final class HeadChunks {

    private HeadChunks() {}

    /**
     * @param lossSum the summed cross entropy of the scored rows, an F32 scalar
     * @param count the number of scored rows, at least 1, an F32 scalar
     * @param gradient the gradient of {@code lossSum / count} with respect to the hidden rows, [N, H],
     *     or {@code null} when not asked for
     * @param correct how many scored rows the arg-max gets right, an INT64 scalar, or {@code null}
     */
    record Result(NDArray lossSum, NDArray count, NDArray gradient, NDArray correct) {}

    /**
     * @param hidden the final hidden states, [N, H], not requiring gradient
     * @param targets the label each row predicts, [N] INT64, {@link Labels#IGNORE_INDEX} for none
     * @param head the frozen head
     * @param rows rows per block
     * @param gradient whether to compute the gradient
     * @param correct whether to count the right arg-max predictions
     * @return the sums, in the manager of {@code hidden}
     */
    static Result run(NDArray hidden, NDArray targets, FrozenHead head, int rows, boolean gradient, boolean correct) {
        NDManager out = hidden.getManager();
        NDArray weight = head.weight().getArray();
        NDArray count = targets.neq(Labels.IGNORE_INDEX).toType(DataType.FLOAT32, false).sum().maximum(1f);
        NDArray lossSum = out.zeros(new Shape(), DataType.FLOAT32);
        NDArray right = correct ? out.zeros(new Shape(), DataType.INT64) : null;
        NDList grads = new NDList();
        long n = hidden.getShape().get(0);
        for (long start = 0; start < n; start += rows) {
            long end = Math.min(n, start + rows);
            try (NDManager block = out.newSubManager()) {
                NDArray h = hidden.get(new NDIndex("{}:{}", start, end));
                NDArray t = targets.get(new NDIndex("{}:{}", start, end));
                h.attach(block);
                t.attach(block);
                // the op the head itself runs (TiedLmHead, Linear), so the logits are the same bits
                NDArray logits = h.getNDArrayInternal().linear(h, weight, null).singletonOrThrow();
                if (head.softcap() > 0) {
                    logits = SoftCapping.apply(logits, head.softcap());
                }
                NDArray logProbs = logits.toType(DataType.FLOAT32, false).logSoftmax(-1);
                NDArray valid = t.neq(Labels.IGNORE_INDEX).toType(DataType.FLOAT32, false);
                NDArray safe = t.maximum(0L);
                NDArray picked = logProbs.gather(safe.expandDims(-1), -1).squeeze(-1);
                lossSum = lossSum.add(picked.neg().mul(valid).sum());
                if (correct) {
                    right = right.add(logits.argMax(-1).eq(safe).logicalAnd(valid.toType(DataType.BOOLEAN, false))
                            .toType(DataType.INT64, false).sum());
                }
                if (gradient) {
                    NDArray g = rowGradient(logits, logProbs, safe, valid.div(count), head, weight);
                    g.attach(out);
                    grads.add(g);
                }
            }
        }
        NDArray grad = gradient ? (grads.size() == 1 ? grads.head() : NDArrays.concat(grads, 0)) : null;
        return new Result(lossSum, count, grad, right);
    }

    /**
     * d(loss)/d(h) for one block: (softmax - onehot) * weight of the row, through the soft-cap, times W.
     * The one-hot is never built: 1 is taken off each row's target probability in place (an indexed
     * put on the one [rows, vocab] array exp allocates), and the row weights scale it in place, so a
     * block allocates one vocabulary-sized array here instead of four (exp, the one-hot, the
     * difference, the product); the soft-cap's slope is likewise formed in place (one array instead
     * of four). Each element goes through the same float ops as in the one-hot form, so the numbers
     * are the same bit for bit. An ignored row's weight is 0, so its row of the gradient is 0.
     */
    private static NDArray rowGradient(NDArray logits, NDArray logProbs, NDArray targets, NDArray rowWeights,
            FrozenHead head, NDArray weight) {
        NDArray dLogits = logProbs.exp();
        NDArray rowIndex = dLogits.getManager().arange(0, targets.getShape().get(0), 1, DataType.INT64);
        NDIndex target = new NDIndex("{}, {}", rowIndex, targets);
        dLogits.set(target, dLogits.get(target).sub(Tensors.scalar(dLogits, 1)));
        dLogits.muli(rowWeights.expandDims(-1));
        if (head.softcap() > 0) {
            // d/dz cap * tanh(z / cap) = 1 - tanh^2 = 1 - (capped / cap)^2
            NDArray slope = logits.toType(DataType.FLOAT32, false).div(Tensors.scalar(dLogits, head.softcap()));
            dLogits.muli(slope.muli(slope).negi().addi(Tensors.scalar(dLogits, 1)));
        }
        return dLogits.toType(weight.getDataType(), false).matMul(weight).toType(logits.getDataType(), false);
    }
}
