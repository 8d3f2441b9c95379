package io.github.peft4j.prefix;

import ai.djl.nn.Parameter;
import java.util.Map;

/** Prompt encoders in plain Java doubles, from torch's equations (Linear, Tanh, ReLU, LSTM). */
final class EncoderReference {

    private EncoderReference() {}

    static double[] vector(Parameter p) {
        float[] f = p.getArray().toFloatArray();
        double[] out = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            out[i] = f[i];
        }
        return out;
    }

    /** x·Wᵀ + b. */
    static double[][] linear(double[][] x, Parameter weight, Parameter bias) {
        double[][] w = ToyReference.matrix(weight);
        double[] b = vector(bias);
        double[][] y = new double[x.length][w.length];
        for (int t = 0; t < x.length; t++) {
            for (int r = 0; r < w.length; r++) {
                double acc = b[r];
                for (int c = 0; c < x[t].length; c++) {
                    acc += w[r][c] * x[t][c];
                }
                y[t][r] = acc;
            }
        }
        return y;
    }

    static void tanh(double[][] x) {
        for (double[] row : x) {
            for (int i = 0; i < row.length; i++) {
                row[i] = Math.tanh(row[i]);
            }
        }
    }

    static void relu(double[][] x) {
        for (double[] row : x) {
            for (int i = 0; i < row.length; i++) {
                row[i] = Math.max(0, row[i]);
            }
        }
    }

    /** Linear layers {@code prefix + 0, 2, 4, ...} with ReLU between them. */
    static double[][] mlp(double[][] x, Map<String, Parameter> params, String prefix, int layers) {
        double[][] h = x;
        for (int i = 0; i < layers; i++) {
            h = linear(h, params.get(prefix + (2 * i) + ".weight"), params.get(prefix + (2 * i) + ".bias"));
            if (i < layers - 1) {
                relu(h);
            }
        }
        return h;
    }

    private static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    /** One direction of one LSTM layer over the sequence, torch's gate order i, f, g, o. */
    private static double[][] direction(double[][] x, Map<String, Parameter> p, String prefix, String suffix,
            int hidden, boolean reverse) {
        double[][] wih = ToyReference.matrix(p.get(prefix + "weight_ih" + suffix));
        double[][] whh = ToyReference.matrix(p.get(prefix + "weight_hh" + suffix));
        double[] bih = vector(p.get(prefix + "bias_ih" + suffix));
        double[] bhh = vector(p.get(prefix + "bias_hh" + suffix));
        double[] h = new double[hidden];
        double[] c = new double[hidden];
        double[][] out = new double[x.length][];
        for (int step = 0; step < x.length; step++) {
            int t = reverse ? x.length - 1 - step : step;
            double[] gates = new double[4 * hidden];
            for (int r = 0; r < 4 * hidden; r++) {
                double acc = bih[r] + bhh[r];
                for (int k = 0; k < x[t].length; k++) {
                    acc += wih[r][k] * x[t][k];
                }
                for (int k = 0; k < hidden; k++) {
                    acc += whh[r][k] * h[k];
                }
                gates[r] = acc;
            }
            double[] nextH = new double[hidden];
            for (int j = 0; j < hidden; j++) {
                double i = sigmoid(gates[j]);
                double f = sigmoid(gates[hidden + j]);
                double g = Math.tanh(gates[2 * hidden + j]);
                double o = sigmoid(gates[3 * hidden + j]);
                c[j] = f * c[j] + i * g;
                nextH[j] = o * Math.tanh(c[j]);
            }
            h = nextH;
            out[t] = h;
        }
        return out;
    }

    /** A stacked bidirectional LSTM; each output row is [forward, backward]. */
    static double[][] bidirectionalLstm(double[][] x, Map<String, Parameter> p, String prefix, int layers,
            int hidden) {
        double[][] in = x;
        for (int layer = 0; layer < layers; layer++) {
            double[][] fwd = direction(in, p, prefix, "_l" + layer, hidden, false);
            double[][] bwd = direction(in, p, prefix, "_l" + layer + "_reverse", hidden, true);
            double[][] out = new double[in.length][2 * hidden];
            for (int t = 0; t < in.length; t++) {
                System.arraycopy(fwd[t], 0, out[t], 0, hidden);
                System.arraycopy(bwd[t], 0, out[t], hidden, hidden);
            }
            in = out;
        }
        return in;
    }
}
