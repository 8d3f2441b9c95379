package io.github.peft4j.lora.linalg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class MatrixTest {

    private static Matrix random(int rows, int cols, long seed) {
        Random r = new Random(seed);
        Matrix m = new Matrix(rows, cols);
        for (int i = 0; i < m.a.length; i++) {
            m.a[i] = r.nextGaussian();
        }
        return m;
    }

    private static void assertEqualMatrices(Matrix expected, Matrix actual, double tol) {
        assertEquals(expected.rows, actual.rows);
        assertEquals(expected.cols, actual.cols);
        for (int i = 0; i < expected.a.length; i++) {
            assertEquals(expected.a[i], actual.a[i], tol, "entry " + i);
        }
    }

    private static void assertOrthonormalColumns(Matrix q) {
        assertEqualMatrices(identity(q.cols), q.transpose().times(q), 1e-12);
    }

    private static Matrix identity(int n) {
        Matrix m = new Matrix(n, n);
        for (int i = 0; i < n; i++) {
            m.set(i, i, 1);
        }
        return m;
    }

    @Test
    void qrOfTallAndWideMatrices() {
        for (int[] shape : new int[][] {{7, 4}, {4, 7}, {5, 5}}) {
            Matrix w = random(shape[0], shape[1], shape[0] * 31L + shape[1]);
            Matrix.Qr qr = w.qr();
            int k = Math.min(shape[0], shape[1]);
            assertEquals(shape[0], qr.q().rows);
            assertEquals(k, qr.q().cols);
            assertEquals(k, qr.r().rows);
            assertOrthonormalColumns(qr.q());
            for (int i = 0; i < k; i++) {
                for (int j = 0; j < i; j++) {
                    assertEquals(0.0, qr.r().get(i, j), 0.0, "R is upper triangular");
                }
            }
            assertEqualMatrices(w, qr.q().times(qr.r()), 1e-12);
        }
    }

    @Test
    void qrFollowsLapackSigns() {
        // LAPACK's reflector sends x to -sign(x0)·|x|·e0: torch.linalg.qr([[3],[4]]) gives R = [[-5]], Q = [[-0.6],[-0.8]]
        Matrix.Qr qr = new Matrix(2, 1, new double[] {3, 4}).qr();
        assertEquals(-5, qr.r().get(0, 0), 1e-15);
        assertEquals(-0.6, qr.q().get(0, 0), 1e-15);
        assertEquals(-0.8, qr.q().get(1, 0), 1e-15);
        // a column already along e0 is left alone (tau = 0), so a negative diagonal stays negative
        Matrix.Qr diag = new Matrix(2, 2, new double[] {-2, 1, 0, 3}).qr();
        assertEquals(-2, diag.r().get(0, 0), 1e-15);
        assertEquals(1, diag.q().get(0, 0), 1e-15);
    }

    @Test
    void svdReconstructsWithOrthonormalFactorsAndDescendingValues() {
        for (int[] shape : new int[][] {{9, 4}, {4, 9}, {6, 6}}) {
            Matrix w = random(shape[0], shape[1], 7L * shape[0] + shape[1]);
            Matrix.Svd svd = w.svd();
            int k = Math.min(shape[0], shape[1]);
            assertEquals(k, svd.s().length);
            for (int i = 1; i < k; i++) {
                assertTrue(svd.s()[i - 1] >= svd.s()[i]);
            }
            assertOrthonormalColumns(svd.u());
            assertOrthonormalColumns(svd.vt().transpose());
            assertEqualMatrices(w, svd.u().scaleColumns(svd.s()).times(svd.vt()), 1e-12);
        }
    }

    @Test
    void svdOfAKnownMatrix() {
        // [[3, 0], [4, 5]] has singular values sqrt(45) and sqrt(5)
        Matrix.Svd svd = new Matrix(2, 2, new double[] {3, 0, 4, 5}).svd();
        assertEquals(Math.sqrt(45), svd.s()[0], 1e-13);
        assertEquals(Math.sqrt(5), svd.s()[1], 1e-13);
    }

    @Test
    void svdOfAProductEqualsTheSvdOfTheFormedProduct() {
        Matrix left = random(8, 3, 1);
        Matrix right = random(3, 6, 2);
        Matrix product = left.times(right);
        Matrix.Svd full = product.svd();
        Matrix.Svd thin = Matrix.svdOfProduct(left, right);
        for (int i = 0; i < 3; i++) {
            assertEquals(full.s()[i], thin.s()[i], 1e-12);
        }
        assertEqualMatrices(product, thin.u().scaleColumns(thin.s()).times(thin.vt()), 1e-12);
    }
}
