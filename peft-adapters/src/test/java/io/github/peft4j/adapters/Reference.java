package io.github.peft4j.adapters;

import ai.djl.ndarray.NDArray;

/** Plain-Java double-precision arithmetic to check tensor code against. */
public final class Reference {

    private Reference() {}

    /**
     * @param a a 2-D tensor
     * @return its values as rows
     */
    public static double[][] matrix(NDArray a) {
        long rows = a.getShape().get(0);
        long cols = a.getShape().get(1);
        float[] v = a.toFloatArray();
        double[][] out = new double[(int) rows][(int) cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                out[r][c] = v[(int) (r * cols + c)];
            }
        }
        return out;
    }

    /**
     * @param a a tensor
     * @return its values in row-major order
     */
    public static double[] vector(NDArray a) {
        float[] v = a.toFloatArray();
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i];
        }
        return out;
    }

    /**
     * @param x input [in]
     * @param w weight [out][in]
     * @param b bias [out] or null
     * @return w·x + b
     */
    public static double[] linear(double[] x, double[][] w, double[] b) {
        double[] y = new double[w.length];
        for (int o = 0; o < w.length; o++) {
            double s = b == null ? 0 : b[o];
            for (int i = 0; i < x.length; i++) {
                s += w[o][i] * x[i];
            }
            y[o] = s;
        }
        return y;
    }

    /**
     * @param name relu, gelu, gelu_new, swish or tanh
     * @param v the argument
     * @return the activation
     */
    public static double activation(String name, double v) {
        return switch (name) {
            case "relu" -> Math.max(0, v);
            case "gelu" -> 0.5 * v * (1 + erf(v / Math.sqrt(2)));
            case "gelu_new" -> 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
            case "swish", "silu" -> v / (1 + Math.exp(-v));
            case "tanh" -> Math.tanh(v);
            default -> throw new IllegalArgumentException(name);
        };
    }

    /** erf by its Taylor series (|x| small in tests) continued by the asymptotic complement for large |x|. */
    static double erf(double x) {
        if (Math.abs(x) > 4) {
            return Math.signum(x);
        }
        double sum = 0;
        double term = x;
        for (int n = 0; n < 200; n++) {
            sum += term / (2 * n + 1);
            term *= -x * x / (n + 1);
        }
        return 2 / Math.sqrt(Math.PI) * sum;
    }

    /**
     * @param a values
     * @param b values
     * @return the largest absolute difference
     */
    public static double maxAbsDiff(double[] a, float[] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }
}
