package io.github.peft4j.spark.federated;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

class LowRankSvdTest {

    private static double[][] random(int rows, int cols, Random r) {
        double[][] m = new double[rows][cols];
        for (double[] row : m) {
            for (int j = 0; j < cols; j++) {
                row[j] = r.nextGaussian();
            }
        }
        return m;
    }

    private static double[][] orthonormalColumns(int rows, int cols, Random r) {
        double[][] q = new double[rows][cols];
        LowRankSvd.qr(random(rows, cols, r), q);
        return q;
    }

    private static double maxDiff(double[][] x, double[][] y) {
        double max = 0;
        for (int i = 0; i < x.length; i++) {
            for (int j = 0; j < x[0].length; j++) {
                max = Math.max(max, Math.abs(x[i][j] - y[i][j]));
            }
        }
        return max;
    }

    @Test
    void keepingTheFullRankReproducesTheProduct() {
        Random r = new Random(1);
        double[][] b = random(7, 3, r);
        double[][] a = random(3, 5, r);
        LowRankSvd.Factors f = LowRankSvd.truncate(b, a, 3);
        assertEquals(0.0, maxDiff(LowRankSvd.multiply(b, a), LowRankSvd.multiply(f.b(), f.a())), 1e-12);
        assertEquals(0.0, f.discardedEnergy(), 1e-20);
    }

    @Test
    void truncationKeepsTheLargestSingularValues() {
        Random r = new Random(2);
        double[][] u = orthonormalColumns(6, 3, r);
        double[][] v = orthonormalColumns(5, 3, r);
        double[] sigma = {2.0, 5.0, 0.5};
        double[][] us = new double[6][3];
        for (int i = 0; i < 6; i++) {
            for (int k = 0; k < 3; k++) {
                us[i][k] = u[i][k] * sigma[k];
            }
        }
        LowRankSvd.Factors f = LowRankSvd.truncate(us, LowRankSvd.transpose(v), 2);
        assertArrayEquals(new double[] {5.0, 2.0}, f.singularValues(), 1e-12);
        assertEquals(0.25, f.discardedEnergy(), 1e-12);
        // the best rank-2 approximation: drop the 0.5 direction
        double[][] expected = new double[6][5];
        for (int i = 0; i < 6; i++) {
            for (int j = 0; j < 5; j++) {
                expected[i][j] = u[i][0] * 2.0 * v[j][0] + u[i][1] * 5.0 * v[j][1];
            }
        }
        assertEquals(0.0, maxDiff(expected, LowRankSvd.multiply(f.b(), f.a())), 1e-12);
    }

    @Test
    void aLowerRankProductIsPaddedWithZeroFactors() {
        Random r = new Random(3);
        double[][] b = random(4, 1, r);
        double[][] a = random(1, 4, r);
        LowRankSvd.Factors f = LowRankSvd.truncate(FloraStacking.stackColumns(b, b), FloraStacking.stackRows(a, a), 2);
        assertEquals(0.0, f.singularValues()[1], 1e-12);
        double[][] doubled = LowRankSvd.multiply(b, a);
        for (double[] row : doubled) {
            for (int j = 0; j < row.length; j++) {
                row[j] *= 2;
            }
        }
        assertEquals(0.0, maxDiff(doubled, LowRankSvd.multiply(f.b(), f.a())), 1e-12);
    }
}
