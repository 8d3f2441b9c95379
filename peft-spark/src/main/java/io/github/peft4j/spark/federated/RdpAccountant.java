package io.github.peft4j.spark.federated;

/**
 * The Rényi-DP accountant of the Gaussian mechanism (Mironov 2017): each round releases the mean
 * of clipped updates plus N(0, σ²C²), so round t costs ε(α) = α / (2σ²) at every order α;
 * rounds compose by addition and (ε, δ) follows from ε = min over α of RDP(α) + log(1/δ)/(α − 1).
 * Every site takes part in every round (no client sampling, so no amplification is claimed).
 *
 * <pre>{@code
 * double eps = RdpAccountant.epsilon(1.0, 10, 1e-5);
 * }</pre>
 */
public final class RdpAccountant {

    private RdpAccountant() {}

    /**
     * @param noiseMultiplier σ, the noise's standard deviation over the clipping norm
     * @param rounds the rounds released
     * @param delta δ
     * @return the smallest ε over a fine grid of orders (within 0.1% of the continuous optimum)
     */
    public static double epsilon(double noiseMultiplier, int rounds, double delta) {
        if (noiseMultiplier <= 0) {
            return Double.POSITIVE_INFINITY;
        }
        double best = Double.POSITIVE_INFINITY;
        for (int i = 1; i <= 100_000; i++) {
            double alpha = 1 + i / 1000.0;
            double rdp = rounds * alpha / (2 * noiseMultiplier * noiseMultiplier);
            best = Math.min(best, rdp + Math.log(1 / delta) / (alpha - 1));
        }
        return best;
    }
}
