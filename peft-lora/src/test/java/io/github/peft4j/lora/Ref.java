package io.github.peft4j.lora;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import io.github.peft4j.core.PeftModel;

/** Plain-Java double-precision reference arithmetic and small assertion helpers for the tests. */
final class Ref {

    private Ref() {}

    /** @return the array as a double matrix [rows][cols] */
    static double[][] mat(NDArray a) {
        long rows = a.getShape().get(0);
        long cols = a.getShape().get(1);
        double[] flat = a.toType(DataType.FLOAT64, true).toDoubleArray();
        double[][] out = new double[(int) rows][(int) cols];
        for (int i = 0; i < rows; i++) {
            System.arraycopy(flat, (int) (i * cols), out[i], 0, (int) cols);
        }
        return out;
    }

    static double[] vec(NDArray a) {
        return a.toType(DataType.FLOAT64, true).toDoubleArray();
    }

    static double[][] mul(double[][] a, double[][] b) {
        double[][] out = new double[a.length][b[0].length];
        for (int i = 0; i < a.length; i++) {
            for (int k = 0; k < b.length; k++) {
                for (int j = 0; j < b[0].length; j++) {
                    out[i][j] += a[i][k] * b[k][j];
                }
            }
        }
        return out;
    }

    static double[][] t(double[][] a) {
        double[][] out = new double[a[0].length][a.length];
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[0].length; j++) {
                out[j][i] = a[i][j];
            }
        }
        return out;
    }

    static double[][] add(double[][] a, double[][] b) {
        double[][] out = new double[a.length][a[0].length];
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[0].length; j++) {
                out[i][j] = a[i][j] + b[i][j];
            }
        }
        return out;
    }

    static double[][] scale(double[][] a, double s) {
        double[][] out = new double[a.length][a[0].length];
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[0].length; j++) {
                out[i][j] = a[i][j] * s;
            }
        }
        return out;
    }

    /** x·Wᵀ + b for each row of x. */
    static double[][] linear(double[][] x, double[][] w, double[] b) {
        double[][] y = mul(x, t(w));
        if (b != null) {
            for (double[] row : y) {
                for (int j = 0; j < row.length; j++) {
                    row[j] += b[j];
                }
            }
        }
        return y;
    }

    static double[] flat(double[][] a) {
        double[] out = new double[a.length * a[0].length];
        for (int i = 0; i < a.length; i++) {
            System.arraycopy(a[i], 0, out, i * a[0].length, a[0].length);
        }
        return out;
    }

    static void assertClose(double[] expected, double[] actual, double tol, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], tol, what + " at " + i);
        }
    }

    static void assertClose(double[][] expected, NDArray actual, double tol, String what) {
        assertClose(flat(expected), vec(actual), tol, what);
    }

    static double maxAbsDiff(double[] a, double[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    /** An inference forward of a block, as doubles. */
    static double[] run(Block block, NDArray input) {
        ParameterStore ps = new ParameterStore(input.getManager(), false);
        return vec(block.forward(ps, new NDList(input), false).head());
    }

    /** An inference forward of a PEFT model, as doubles. */
    static double[] run(PeftModel model, NDArray input) {
        return run((Block) model, input);
    }
}
