package io.github.peft4j.spark.federated;

import io.github.peft4j.spark.TensorSnapshot;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * FLoRA (Wang et al., 2024): the sites' factors are stacked along the rank, A₁…Aₙ as rows and
 * w₁·B₁…wₙ·Bₙ as columns, so that B·A = Σwᵢ·Bᵢ·Aᵢ exactly. The saved global adapter has rank
 * Σrᵢ (and its lora_alpha is set so that its scaling is the sites'); the next round starts from
 * its best rank-r truncation (exact whenever the stacked ΔW has rank ≤ r).
 */
public final class FloraStacking implements AggregationStrategy {

    private static final long serialVersionUID = 1L;

    @Override
    public Aggregate aggregate(TensorSnapshot global, List<SiteUpdate> updates, double scaling, int rank) {
        double[] w = LoraFactors.weights(updates);
        Map<String, long[]> shapes = new LinkedHashMap<>();
        Map<String, float[]> values = new LinkedHashMap<>();
        int stacked = 0;
        for (String a : LoraFactors.aKeys(global)) {
            double[][] bs = null;
            double[][] as = null;
            for (int i = 0; i < updates.size(); i++) {
                double[][] ai = LoraFactors.matrix(updates.get(i).adapter(), a);
                double[][] bi = LoraFactors.matrix(updates.get(i).adapter(), LoraFactors.bKey(a));
                for (double[] row : bi) {
                    for (int j = 0; j < row.length; j++) {
                        row[j] *= w[i];
                    }
                }
                as = as == null ? ai : stackRows(as, ai);
                bs = bs == null ? bi : stackColumns(bs, bi);
            }
            LoraFactors.put(shapes, values, a, as);
            LoraFactors.put(shapes, values, LoraFactors.bKey(a), bs);
            stacked = as.length;
        }
        LoraFactors.averageOthers(global, updates, w, shapes, values);
        TensorSnapshot saved = new TensorSnapshot(shapes, values);
        TensorSnapshot next = SvdTruncation.truncate(global, saved, rank);
        return new Aggregate(next, saved, stacked);
    }

    static double[][] stackRows(double[][] top, double[][] bottom) {
        double[][] out = new double[top.length + bottom.length][];
        System.arraycopy(top, 0, out, 0, top.length);
        System.arraycopy(bottom, 0, out, top.length, bottom.length);
        return out;
    }

    static double[][] stackColumns(double[][] left, double[][] right) {
        double[][] out = new double[left.length][left[0].length + right[0].length];
        for (int i = 0; i < left.length; i++) {
            System.arraycopy(left[i], 0, out[i], 0, left[i].length);
            System.arraycopy(right[i], 0, out[i], left[i].length, right[i].length);
        }
        return out;
    }

    @Override
    public String name() {
        return "flora-stacking";
    }
}
