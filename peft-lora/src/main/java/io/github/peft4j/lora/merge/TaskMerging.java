package io.github.peft4j.lora.merge;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.peft4j.core.PeftConfigException;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PEFT's {@code utils/merge_utils.py} on flattened tensors: task arithmetic, magnitude pruning,
 * TIES (trim, elect sign, disjoint merge) and DARE (random drop with rescaling). Random drops draw
 * from the engine's generator.
 */
final class TaskMerging {

    private static final Logger LOG = LoggerFactory.getLogger(TaskMerging.class);

    /** How a set of task tensors is reduced to one. */
    enum Method { TASK_ARITHMETIC, MAGNITUDE_PRUNE, TIES, DARE_LINEAR, DARE_TIES }

    private TaskMerging() {}

    /**
     * @param method the reduction
     * @param tasks the task tensors, flattened, all of one length
     * @param weights one weight per task
     * @param density the fraction kept by pruning (required except for task arithmetic)
     * @param frequencySign majority sign by count of signs ("frequency") instead of by sum ("total")
     * @param random the manager whose engine generator draws DARE's masks
     * @return the merged tensor
     */
    static double[] merge(Method method, List<double[]> tasks, double[] weights, Double density, boolean frequencySign,
            NDManager random) {
        int n = tasks.get(0).length;
        for (double[] t : tasks) {
            if (t.length != n) {
                throw new PeftConfigException("cannot merge task tensors of different sizes (" + n + " and " + t.length
                        + "); the adapters must have the same rank");
            }
        }
        double[][] pruned = new double[tasks.size()][];
        for (int i = 0; i < tasks.size(); i++) {
            double[] t = tasks.get(i);
            pruned[i] = switch (method) {
                case TASK_ARITHMETIC -> t;
                case MAGNITUDE_PRUNE, TIES -> magnitudePrune(t, requireDensity(method, density));
                case DARE_LINEAR, DARE_TIES -> randomPrune(t, requireDensity(method, density), random);
            };
        }
        if (method == Method.TIES || method == Method.DARE_TIES) {
            return disjointMerge(pruned, weights, frequencySign);
        }
        double[] out = new double[n];
        for (int i = 0; i < pruned.length; i++) {
            for (int j = 0; j < n; j++) {
                out[j] += pruned[i][j] * weights[i];
            }
        }
        return out;
    }

    private static double requireDensity(Method method, Double density) {
        if (density == null) {
            throw new PeftConfigException("combination " + method.name().toLowerCase(java.util.Locale.ROOT)
                    + " needs a density in [0, 1]");
        }
        if (density < 0) {
            throw new PeftConfigException("Density should be >= 0, got " + density);
        }
        return density;
    }

    /** Keeps the {@code int(density·n)} entries of largest magnitude. */
    static double[] magnitudePrune(double[] t, double density) {
        if (density >= 1) {
            LOG.warn("The density {} is greater than or equal to 1, no pruning will be performed.", density);
            return t;
        }
        int k = (int) (density * t.length);
        Integer[] order = new Integer[t.length];
        for (int i = 0; i < t.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingDouble((Integer i) -> -Math.abs(t[i])));
        double[] out = new double[t.length];
        for (int i = 0; i < k; i++) {
            out[order[i]] = t[order[i]];
        }
        return out;
    }

    /** Keeps each entry with probability {@code density} and divides the kept ones by it (DARE). */
    static double[] randomPrune(double[] t, double density, NDManager random) {
        if (density >= 1) {
            LOG.warn("The density {} is greater than or equal to 1, no pruning will be performed.", density);
            return t;
        }
        double[] u;
        try (NDArray draw = random.randomUniform(0f, 1f, new Shape(t.length), DataType.FLOAT64)) {
            u = draw.toDoubleArray();
        }
        double[] out = new double[t.length];
        for (int i = 0; i < t.length; i++) {
            out[i] = u[i] < density ? t[i] / density : 0;
        }
        return out;
    }

    /**
     * TIES' elect-sign and disjoint merge: the majority sign of each entry is that of the sum of the
     * (pruned, unweighted) tasks, or of the count of their signs; the weighted tasks that agree with
     * it are averaged.
     */
    static double[] disjointMerge(double[][] tasks, double[] weights, boolean frequencySign) {
        int n = tasks[0].length;
        double[] out = new double[n];
        for (int j = 0; j < n; j++) {
            double vote = 0;
            for (double[] t : tasks) {
                vote += frequencySign ? Math.signum(t[j]) : t[j];
            }
            double majority = vote >= 0 ? 1 : -1;
            double sum = 0;
            int agreeing = 0;
            for (int i = 0; i < tasks.length; i++) {
                if (Math.signum(tasks[i][j]) == majority) {
                    sum += tasks[i][j] * weights[i];
                    agreeing++;
                }
            }
            out[j] = sum / Math.max(agreeing, 1);
        }
        return out;
    }
}
