package io.github.peft4j.train.data;

import io.github.peft4j.core.PeftConfigException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A deterministic train/eval split: a seeded permutation picks {@code ceil(fraction * n)} items
 * for evaluation (as {@code datasets.train_test_split}); both parts keep the input order. The same
 * seed and input always give the same split.
 *
 * <pre>{@code
 * DatasetSplit.Split<DataRecord> s = DatasetSplit.split(records, 0.1, 42);
 * s.train(); s.eval();
 * }</pre>
 */
public final class DatasetSplit {

    private DatasetSplit() {}

    /**
     * @param train the training part
     * @param eval the evaluation part
     * @param <T> the item type
     */
    public record Split<T>(List<T> train, List<T> eval) {}

    /**
     * @param items the items
     * @param evalFraction in [0, 1)
     * @param seed the seed
     * @param <T> the item type
     * @return both parts
     */
    public static <T> Split<T> split(List<T> items, double evalFraction, long seed) {
        if (!(evalFraction >= 0 && evalFraction < 1)) {
            throw new PeftConfigException("eval fraction must be in [0, 1), got " + evalFraction);
        }
        int n = items.size();
        int nEval = (int) Math.ceil(evalFraction * n);
        if (evalFraction > 0 && nEval >= n) {
            throw new PeftConfigException("an eval fraction of " + evalFraction + " leaves no training data out of "
                    + n + " examples");
        }
        int[] perm = permutation(n, seed);
        boolean[] isEval = new boolean[n];
        for (int i = 0; i < nEval; i++) {
            isEval[perm[i]] = true;
        }
        List<T> train = new ArrayList<>(n - nEval);
        List<T> eval = new ArrayList<>(nEval);
        for (int i = 0; i < n; i++) {
            (isEval[i] ? eval : train).add(items.get(i));
        }
        return new Split<>(List.copyOf(train), List.copyOf(eval));
    }

    /**
     * A Fisher-Yates permutation of {@code 0..n-1} from a {@link SplittableRandom}.
     *
     * @param n the size
     * @param seed the seed
     * @return the permutation
     */
    public static int[] permutation(int n, long seed) {
        int[] p = new int[n];
        Arrays.setAll(p, i -> i);
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }
}
