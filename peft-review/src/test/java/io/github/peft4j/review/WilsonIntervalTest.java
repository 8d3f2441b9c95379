package io.github.peft4j.review;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/**
 * The Wilson score interval against values worked by hand from
 * {@code (p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)}, z = 1.959964.
 */
class WilsonIntervalTest {

    @Test
    void matchesHandComputedBounds() {
        // 7 of 10: p = 0.7, z²/n = 0.384146, centre 0.892073/1.384146 = 0.644493, half 0.342874/1.384146 = 0.247715
        assertBounds(0.3967781475, 0.8922087326, WilsonInterval.of(7, 10, WilsonInterval.Z95));
        // 4.5 of 6 (4 wins, 1 loss, 1 tie): p = 0.75, centre 0.652420, half 0.287593
        assertBounds(0.3648225607, 0.9400102953, WilsonInterval.of(4.5, 6, WilsonInterval.Z95));
        // the ends: 0 of 5 and 5 of 5 stay inside [0, 1] and mirror each other
        assertBounds(0.0, 0.4344824648, WilsonInterval.of(0, 5, WilsonInterval.Z95));
        assertBounds(0.5655175352, 1.0, WilsonInterval.of(5, 5, WilsonInterval.Z95));
        // 1.5 of 3 is centred on one half
        assertBounds(0.1253344719, 0.8746655281, WilsonInterval.of(1.5, 3, WilsonInterval.Z95));
    }

    @Test
    void refusesImpossibleCounts() {
        assertThrows(IllegalArgumentException.class, () -> WilsonInterval.of(0, 0, WilsonInterval.Z95));
        assertThrows(IllegalArgumentException.class, () -> WilsonInterval.of(4, 3, WilsonInterval.Z95));
    }

    private static void assertBounds(double low, double high, WilsonInterval ci) {
        assertEquals(low, ci.low(), 1e-9);
        assertEquals(high, ci.high(), 1e-9);
    }
}
