package io.github.peft4j.models.reference;

/** The element-wise and per-vector equations of the Hugging Face modules, in double precision. */
public final class RefMath {

    private RefMath() {}

    /** torch.nn.Linear: y = W x + b with W [out][in]; b may be null. */
    public static double[] linear(double[][] w, double[] b, double[] x) {
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

    /** GPT-2 Conv1D: y = x W + b with W [in][out]. */
    public static double[] conv1d(double[][] w, double[] b, double[] x) {
        int out = w[0].length;
        double[] y = new double[out];
        for (int o = 0; o < out; o++) {
            double s = b[o];
            for (int i = 0; i < x.length; i++) {
                s += x[i] * w[i][o];
            }
            y[o] = s;
        }
        return y;
    }

    public static double[] rmsNorm(double[] x, double[] w, double eps) {
        double ms = 0;
        for (double v : x) {
            ms += v * v;
        }
        ms /= x.length;
        double inv = 1 / Math.sqrt(ms + eps);
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = w[i] * (x[i] * inv);
        }
        return y;
    }

    public static double[] layerNorm(double[] x, double[] w, double[] b, double eps) {
        double mean = 0;
        for (double v : x) {
            mean += v;
        }
        mean /= x.length;
        double var = 0;
        for (double v : x) {
            var += (v - mean) * (v - mean);
        }
        var /= x.length;
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = (x[i] - mean) / Math.sqrt(var + eps) * w[i] + b[i];
        }
        return y;
    }

    public static double[] add(double[] a, double[] b) {
        double[] y = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            y[i] = a[i] + b[i];
        }
        return y;
    }

    public static double silu(double x) {
        return x / (1 + Math.exp(-x));
    }

    public static double geluTanh(double x) {
        return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
    }

    public static double geluErf(double x) {
        return 0.5 * x * (1 + erf(x / Math.sqrt(2)));
    }

    /** erf by its Maclaurin series (|x| < 3) or the continued fraction of erfc, both to ~1e-15. */
    public static double erf(double x) {
        double ax = Math.abs(x);
        if (ax < 3) {
            double term = x;
            double sum = x;
            for (int n = 1; n < 200; n++) {
                term *= -x * x / n;
                double add = term / (2 * n + 1);
                sum += add;
                if (Math.abs(add) < 1e-17) {
                    break;
                }
            }
            return 2 / Math.sqrt(Math.PI) * sum;
        }
        // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...))))
        double f = ax;
        for (int n = 60; n >= 1; n--) {
            f = ax + (n / 2.0) / f;
        }
        double erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
        return Math.signum(x) * (1 - erfc);
    }

    /** Softmax over the allowed entries; the others get probability 0. */
    public static double[] maskedSoftmax(double[] scores, boolean[] allowed) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < scores.length; i++) {
            if (allowed[i]) {
                max = Math.max(max, scores[i]);
            }
        }
        double[] p = new double[scores.length];
        double sum = 0;
        for (int i = 0; i < scores.length; i++) {
            if (allowed[i]) {
                p[i] = Math.exp(scores[i] - max);
                sum += p[i];
            }
        }
        if (sum == 0) {
            return p; // no visible key (a padded query): the row is ignored by the tests
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= sum;
        }
        return p;
    }

    public static double dot(double[] a, int aOff, double[] b, int bOff, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += a[aOff + i] * b[bOff + i];
        }
        return s;
    }
}
