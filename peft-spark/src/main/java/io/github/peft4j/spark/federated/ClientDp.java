package io.github.peft4j.spark.federated;

import io.github.peft4j.spark.TensorSnapshot;
import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Client-level differential privacy (DP-FedAvg, McMahan et al. 2018): each site's update (its
 * adapter minus the global one, all tensors together) is clipped to L2 norm C, the clipped
 * updates are averaged with equal weights and Gaussian noise N(0, σ²C²)/n is added to the mean.
 * The strategy then aggregates that one noisy update (post-processing keeps the guarantee);
 * the (ε, δ) spent so far comes from {@link RdpAccountant}.
 *
 * @param clipNorm C
 * @param noiseMultiplier σ; 0 adds no noise (clipping only, no privacy claimed)
 * @param delta δ for the reported ε
 * @param seed the noise's seed (mixed with the round)
 */
public record ClientDp(double clipNorm, double noiseMultiplier, double delta, long seed) implements Serializable {

    /**
     * @param global the adapter the sites started from
     * @param updates the sites' adapters
     * @param round the round, for the noise's seed
     * @return one update: the global adapter plus the noisy mean of the clipped updates
     */
    SiteUpdate privatize(TensorSnapshot global, List<SiteUpdate> updates, int round) {
        int n = updates.size();
        Map<String, double[]> sum = new LinkedHashMap<>();
        for (String k : global.names()) {
            sum.put(k, new double[global.values(k).length]);
        }
        for (SiteUpdate u : updates) {
            double norm2 = 0;
            for (String k : global.names()) {
                float[] g = global.values(k);
                float[] s = u.adapter().values(k);
                for (int i = 0; i < g.length; i++) {
                    double d = (double) s[i] - g[i];
                    norm2 += d * d;
                }
            }
            double factor = Math.min(1, clipNorm / Math.max(Math.sqrt(norm2), 1e-12));
            for (String k : global.names()) {
                float[] g = global.values(k);
                float[] s = u.adapter().values(k);
                double[] acc = sum.get(k);
                for (int i = 0; i < g.length; i++) {
                    acc[i] += factor * ((double) s[i] - g[i]);
                }
            }
        }
        Random noise = new Random(seed * 31 + round);
        double std = noiseMultiplier * clipNorm;
        Map<String, long[]> shapes = new LinkedHashMap<>();
        Map<String, float[]> values = new LinkedHashMap<>();
        for (String k : global.names()) {
            float[] g = global.values(k);
            double[] acc = sum.get(k);
            float[] out = new float[g.length];
            for (int i = 0; i < g.length; i++) {
                double z = std == 0 ? 0 : noise.nextGaussian() * std;
                out[i] = (float) (g[i] + (acc[i] + z) / n);
            }
            shapes.put(k, global.shape(k));
            values.put(k, out);
        }
        int examples = updates.stream().mapToInt(SiteUpdate::examples).sum();
        double loss = updates.stream().mapToDouble(SiteUpdate::loss).average().orElse(Double.NaN);
        return new SiteUpdate("dp-mean", examples, loss, new TensorSnapshot(shapes, values), null, 1);
    }

    /** @param rounds rounds released so far @return ε at {@link #delta()} */
    public double epsilon(int rounds) {
        return RdpAccountant.epsilon(noiseMultiplier, rounds, delta);
    }
}
