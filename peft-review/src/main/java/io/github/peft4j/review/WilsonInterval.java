package io.github.peft4j.review;

/**
 * The Wilson score interval of a proportion (Wilson 1927): better than the normal approximation
 * for the small counts and extreme rates of a human review, and never outside [0, 1]. With
 * {@code p = s/n} and {@code z} the normal quantile,
 * {@code (p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)}. A success count may be fractional
 * (a tie counted as half a win).
 *
 * <pre>{@code
 * WilsonInterval ci = WilsonInterval.of(7, 10, WilsonInterval.Z95);   // [0.3968, 0.8922]
 * }</pre>
 *
 * @param low the lower bound
 * @param high the upper bound
 */
public record WilsonInterval(double low, double high) {

    /** The two-sided 95% normal quantile. */
    public static final double Z95 = 1.959963984540054;

    /**
     * @param successes the successes (may be fractional), in [0, n]
     * @param n the trials, at least 1
     * @param z the normal quantile ({@link #Z95} for 95%)
     * @return the interval
     * @throws IllegalArgumentException if {@code n < 1} or the successes are outside [0, n]
     */
    public static WilsonInterval of(double successes, int n, double z) {
        if (n < 1 || successes < 0 || successes > n) {
            throw new IllegalArgumentException("a Wilson interval needs 0 <= successes <= n and n >= 1, not " + successes + " of " + n);
        }
        double p = successes / n;
        double z2 = z * z;
        double denominator = 1 + z2 / n;
        double center = (p + z2 / (2.0 * n)) / denominator;
        double half = z * Math.sqrt(p * (1 - p) / n + z2 / (4.0 * n * n)) / denominator;
        return new WilsonInterval(Math.max(0, center - half), Math.min(1, center + half));
    }
}
