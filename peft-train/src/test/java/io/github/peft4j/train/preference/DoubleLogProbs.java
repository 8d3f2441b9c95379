package io.github.peft4j.train.preference;

import io.github.peft4j.core.Labels;

/**
 * Per-row sums and counts of the labelled tokens' log-probabilities, in double precision from a
 * model's float logits: the independent side of the preference objectives' tests.
 */
record DoubleLogProbs(double[] sums, int[] counts) {

    /**
     * @param logits [rows, t, v] flattened, no virtual tokens in front
     * @param labels [rows, t] flattened; the logits at {@code i} score the label at {@code i + 1}
     */
    static DoubleLogProbs of(float[] logits, long[] labels, int rows) {
        int t = labels.length / rows;
        int v = logits.length / labels.length;
        double[] sums = new double[rows];
        int[] counts = new int[rows];
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i + 1 < t; i++) {
                long target = labels[r * t + i + 1];
                if (target == Labels.IGNORE_INDEX) {
                    continue;
                }
                int base = (r * t + i) * v;
                double max = Double.NEGATIVE_INFINITY;
                for (int k = 0; k < v; k++) {
                    max = Math.max(max, logits[base + k]);
                }
                double sum = 0;
                for (int k = 0; k < v; k++) {
                    sum += Math.exp(logits[base + k] - max);
                }
                sums[r] += logits[base + (int) target] - max - Math.log(sum);
                counts[r]++;
            }
        }
        return new DoubleLogProbs(sums, counts);
    }

    /** @return the mean token NLL over every labelled token of rows {@code [0, n)} (TRL's nll_loss) */
    double nll(int n) {
        double s = 0;
        int c = 0;
        for (int r = 0; r < n; r++) {
            s += sums[r];
            c += counts[r];
        }
        return -s / c;
    }

    /** @return the log-probability of row {@code r} averaged per labelled token */
    double mean(int r) {
        return sums[r] / counts[r];
    }
}
