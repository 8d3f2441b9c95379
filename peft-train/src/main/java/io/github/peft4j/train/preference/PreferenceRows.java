package io.github.peft4j.train.preference;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.train.data.Batch;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the preference objectives share about a batch of {@code n} chosen rows followed by {@code n}
 * rejected rows (a {@code PreferenceDataset} batch): its shape check and TRL's reward metrics.
 *
 * <pre>{@code
 * int n = PreferenceRows.pairs(batch, "DPO");
 * Map<String, NDArray> metrics = PreferenceRows.rewardMetrics(chosenRewards, rejectedRewards, logps, n);
 * }</pre>
 */
final class PreferenceRows {

    private PreferenceRows() {}

    /**
     * @param batch the batch
     * @param method the objective's name, for the message
     * @return the number of pairs
     * @throws PeftConfigException unless the batch holds pairs
     */
    static int pairs(Batch batch, String method) {
        if (batch.size() % 2 != 0 || batch.isClassification()) {
            throw new PeftConfigException(method + " needs preference batches (chosen rows, then as many rejected"
                    + " rows), got " + batch.size() + " rows; train it on a PreferenceDataset");
        }
        return batch.size() / 2;
    }

    /** @return the index of the chosen rows of a batch of {@code n} pairs */
    static String chosen(int n) {
        return ":" + n;
    }

    /** @return the index of the rejected rows of a batch of {@code n} pairs */
    static String rejected(int n) {
        return n + ":";
    }

    /**
     * @param chosenRewards [n] the chosen answers' rewards, without gradient
     * @param rejectedRewards [n] the rejected answers'
     * @param logps [2n] the policy's per-sequence log-probabilities, without gradient
     * @param n the number of pairs
     * @return TRL's {@code rewards/*} and {@code logps/*} metrics, in its order
     */
    static Map<String, NDArray> rewardMetrics(NDArray chosenRewards, NDArray rejectedRewards, NDArray logps, int n) {
        Map<String, NDArray> metrics = new LinkedHashMap<>();
        metrics.put("rewards/chosen", chosenRewards.mean());
        metrics.put("rewards/rejected", rejectedRewards.mean());
        metrics.put("rewards/accuracies", accuracies(chosenRewards, rejectedRewards).mean());
        metrics.put("rewards/margins", chosenRewards.sub(rejectedRewards).mean());
        metrics.put("logps/chosen", logps.get(chosen(n)).mean());
        metrics.put("logps/rejected", logps.get(rejected(n)).mean());
        return metrics;
    }

    /** @return [n] F32: 1 where the chosen answer's reward is the larger, else 0 */
    static NDArray accuracies(NDArray chosenRewards, NDArray rejectedRewards) {
        return chosenRewards.gt(rejectedRewards).toType(DataType.FLOAT32, false);
    }
}
