package io.github.peft4j.spark.federated;

import io.github.peft4j.spark.TensorSnapshot;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Reads LoRA's A/B pairs out of a snapshot and does the double-precision arithmetic the
 * strategies share: weighted averages, ΔW = s·B·A, and writing factors back.
 */
final class LoraFactors {

    private LoraFactors() {}

    /** @return the keys of the A factors ({@code ...lora_A.<adapter>.weight}) */
    static List<String> aKeys(TensorSnapshot s) {
        List<String> out = new ArrayList<>();
        for (String k : s.names()) {
            if (k.contains(".lora_A.") && s.names().contains(bKey(k))) {
                out.add(k);
            }
        }
        return out;
    }

    static String bKey(String aKey) {
        return aKey.replace(".lora_A.", ".lora_B.");
    }

    static boolean isFactor(String key) {
        return key.contains(".lora_A.") || key.contains(".lora_B.");
    }

    static double[][] matrix(TensorSnapshot s, String key) {
        long[] shape = s.shape(key);
        int rows = (int) shape[0];
        int cols = (int) shape[1];
        float[] v = s.values(key);
        double[][] out = new double[rows][cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                out[i][j] = v[i * cols + j];
            }
        }
        return out;
    }

    static void put(Map<String, long[]> shapes, Map<String, float[]> values, String key, double[][] m) {
        int rows = m.length;
        int cols = m[0].length;
        float[] v = new float[rows * cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                v[i * cols + j] = (float) m[i][j];
            }
        }
        shapes.put(key, new long[] {rows, cols});
        values.put(key, v);
    }

    /** @return Σ wᵢ·tensorᵢ for one key */
    static float[] average(List<SiteUpdate> updates, double[] weights, String key) {
        double[] sum = null;
        for (int i = 0; i < updates.size(); i++) {
            float[] v = updates.get(i).adapter().values(key);
            if (sum == null) {
                sum = new double[v.length];
            }
            for (int j = 0; j < v.length; j++) {
                sum[j] += weights[i] * v[j];
            }
        }
        float[] out = new float[sum.length];
        for (int j = 0; j < sum.length; j++) {
            out[j] = (float) sum[j];
        }
        return out;
    }

    /**
     * @param keepGlobal the tensors that stay as they are in {@code global} (frozen on every site)
     * @return every tensor of {@code global} as the examples-weighted average of the sites' values
     */
    static TensorSnapshot averageAll(TensorSnapshot global, List<SiteUpdate> updates, Predicate<String> keepGlobal) {
        double[] w = weights(updates);
        Map<String, long[]> shapes = new LinkedHashMap<>();
        Map<String, float[]> values = new LinkedHashMap<>();
        for (String k : global.names()) {
            shapes.put(k, global.shape(k));
            values.put(k, keepGlobal.test(k) ? global.values(k) : average(updates, w, k));
        }
        return new TensorSnapshot(shapes, values);
    }

    /** @return the examples-weighted shares, summing to 1 */
    static double[] weights(List<SiteUpdate> updates) {
        double total = updates.stream().mapToDouble(SiteUpdate::examples).sum();
        double[] w = new double[updates.size()];
        for (int i = 0; i < w.length; i++) {
            w[i] = total == 0 ? 1.0 / w.length : updates.get(i).examples() / total;
        }
        return w;
    }

    /** Copies the non-LoRA tensors (biases, modules_to_save) as their weighted average. */
    static void averageOthers(TensorSnapshot like, List<SiteUpdate> updates, double[] w, Map<String, long[]> shapes,
            Map<String, float[]> values) {
        for (String k : like.names()) {
            if (!isFactor(k)) {
                shapes.put(k, like.shape(k));
                values.put(k, average(updates, w, k));
            }
        }
    }

    /** @return ΔW = scaling·B·A of every module, by A key */
    static Map<String, double[][]> deltas(TensorSnapshot s, double scaling) {
        Map<String, double[][]> out = new LinkedHashMap<>();
        for (String a : aKeys(s)) {
            double[][] d = LowRankSvd.multiply(matrix(s, bKey(a)), matrix(s, a));
            for (double[] row : d) {
                for (int j = 0; j < row.length; j++) {
                    row[j] *= scaling;
                }
            }
            out.put(a, d);
        }
        return out;
    }

    /** @return the exact aggregate Σ wᵢ·s·Bᵢ·Aᵢ of every module */
    static Map<String, double[][]> exactDeltas(List<SiteUpdate> updates, double[] w, double scaling) {
        Map<String, double[][]> out = new LinkedHashMap<>();
        for (int i = 0; i < updates.size(); i++) {
            for (Map.Entry<String, double[][]> e : deltas(updates.get(i).adapter(), scaling * w[i]).entrySet()) {
                double[][] acc = out.get(e.getKey());
                if (acc == null) {
                    out.put(e.getKey(), e.getValue());
                } else {
                    for (int r = 0; r < acc.length; r++) {
                        for (int c = 0; c < acc[r].length; c++) {
                            acc[r][c] += e.getValue()[r][c];
                        }
                    }
                }
            }
        }
        return out;
    }
}
