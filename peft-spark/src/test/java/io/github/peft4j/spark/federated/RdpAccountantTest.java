package io.github.peft4j.spark.federated;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RdpAccountantTest {

    /** The Gaussian mechanism is ρ-zCDP with ρ = T/(2σ²), and ε = ρ + 2√(ρ·log(1/δ)) (Bun & Steinke 2016, Prop. 1.3). */
    private static double closedForm(double sigma, int rounds, double delta) {
        double rho = rounds / (2 * sigma * sigma);
        return rho + 2 * Math.sqrt(rho * Math.log(1 / delta));
    }

    @Test
    void matchesThePublishedConversion() {
        // σ = 1, one release, δ = 1e-5: ε = 0.5 + 2·√(0.5·ln 1e5) = 5.2985...
        assertEquals(5.2985, RdpAccountant.epsilon(1.0, 1, 1e-5), 1e-3);
        assertEquals(closedForm(1.0, 1, 1e-5), RdpAccountant.epsilon(1.0, 1, 1e-5), 1e-3);
        assertEquals(closedForm(2.0, 50, 1e-6), RdpAccountant.epsilon(2.0, 50, 1e-6), 1e-3);
    }

    @Test
    void moreRoundsCostMoreAndMoreNoiseCostsLess() {
        assertTrue(RdpAccountant.epsilon(1.0, 10, 1e-5) > RdpAccountant.epsilon(1.0, 5, 1e-5));
        assertTrue(RdpAccountant.epsilon(4.0, 10, 1e-5) < RdpAccountant.epsilon(1.0, 10, 1e-5));
        assertEquals(Double.POSITIVE_INFINITY, RdpAccountant.epsilon(0, 1, 1e-5));
    }
}
