package io.github.peft4j.train.preference;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.github.peft4j.core.Labels;
import io.github.peft4j.models.CrossEntropy;

/**
 * The log-probability a causal LM gives each row's labelled tokens: the logits at {@code t} score the
 * label at {@code t + 1}, labels of {@value Labels#IGNORE_INDEX} (prompt, padding) are left out, and
 * the per-token log-probabilities are summed per row (TRL's {@code concatenated_forward}). Virtual
 * tokens in front of the logits are lined up as {@link CrossEntropy} lines them up.
 *
 * <pre>{@code
 * SequenceLogProbs lp = SequenceLogProbs.of(logits, labels);   // logits [B,T,V], labels [B,T]
 * NDArray sums = lp.sums();                                    // [B]: log pi(answer | prompt)
 * }</pre>
 *
 * @param sums [B] F32: the summed log-probabilities of each row's labelled tokens
 * @param counts [B] F32: how many tokens each row has labelled
 */
public record SequenceLogProbs(NDArray sums, NDArray counts) {

    /**
     * @param logits [B, T + n, V]
     * @param labels [B, T], {@value Labels#IGNORE_INDEX} where nothing is scored
     * @return the per-row sums and counts, on the gradient path of {@code logits}
     */
    public static SequenceLogProbs of(NDArray logits, NDArray labels) {
        NDArray aligned = CrossEntropy.alignLabels(labels, CrossEntropy.prependedPositions(logits.getShape(),
                labels.getShape()));
        NDArray target = aligned.get(":, 1:").toType(DataType.INT64, false);
        NDArray valid = target.neq(Labels.IGNORE_INDEX).toType(DataType.FLOAT32, false);
        NDArray picked = logits.get(":, :-1, :").logSoftmax(-1).gather(target.maximum(0L).expandDims(-1), -1)
                .squeeze(-1);
        return new SequenceLogProbs(picked.mul(valid).sum(new int[] {1}), valid.sum(new int[] {1}));
    }

    /**
     * @param rows an index of rows, e.g. {@code ":4"}
     * @return the negative log-likelihood averaged over every labelled token of those rows (TRL's
     *     {@code nll_loss}: one mean over the tokens, not a mean of per-row means), on the gradient path
     */
    public NDArray tokenNll(String rows) {
        return sums.get(rows).sum().neg().div(counts.get(rows).sum().maximum(1f));
    }

    /** @return [B]: the mean log-probability per labelled token (IPO's length normalisation) */
    public NDArray means() {
        return sums.div(counts.maximum(1f));
    }
}
