package io.github.peft4j.train.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link HeadChunks} against a double-precision reference of the textbook formulas: the summed cross
 * entropy and {@code d(mean)/d(h) = ((softmax - onehot) * cap'(z) / count) W}, with ignored rows at
 * exactly zero gradient.
 */
class HeadChunksTest {

    private static final int N = 7;
    private static final int H = 4;
    private static final int V = 11;
    // rows 2 and 5 are ignored; row 6 targets the last token, row 3 the first
    private static final long[] TARGETS = {4, 10, -100, 0, 7, -100, 10};

    private static float[] gaussian(Random r, int n, double scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (r.nextGaussian() * scale);
        }
        return v;
    }

    @Test
    void lossAndGradientMatchTheOneHotFormula() {
        for (float softcap : new float[] {0f, 1.5f}) {
            for (int rows : new int[] {1, 3, N}) {
                check(softcap, rows);
            }
        }
    }

    private static void check(float softcap, int rows) {
        Random r = new Random(5);
        float[] h = gaussian(r, N * H, 1.0);
        float[] w = gaussian(r, V * H, 1.2);
        try (NDManager m = NDManager.newBaseManager()) {
            Parameter weight = Parameter.builder().setName("weight").setType(Parameter.Type.WEIGHT)
                    .optArray(m.create(w, new Shape(V, H))).optRequiresGrad(false).build();
            HeadChunks.Result result = HeadChunks.run(m.create(h, new Shape(N, H)), m.create(TARGETS),
                    new FrozenHead(weight, softcap), rows, true, true);
            String what = "softcap " + softcap + ", " + rows + " rows";

            double count = 0;
            for (long t : TARGETS) {
                count += t == -100 ? 0 : 1;
            }
            double lossSum = 0;
            long correct = 0;
            double[][] grad = new double[N][H];
            for (int i = 0; i < N; i++) {
                double[] z = new double[V];
                double[] capped = new double[V];
                int argMax = 0;
                for (int v = 0; v < V; v++) {
                    for (int k = 0; k < H; k++) {
                        z[v] += (double) h[i * H + k] * w[v * H + k];
                    }
                    capped[v] = softcap > 0 ? softcap * Math.tanh(z[v] / softcap) : z[v];
                    argMax = capped[v] > capped[argMax] ? v : argMax;
                }
                if (TARGETS[i] == -100) {
                    continue;
                }
                int t = (int) TARGETS[i];
                double max = capped[argMax];
                double norm = 0;
                for (int v = 0; v < V; v++) {
                    norm += Math.exp(capped[v] - max);
                }
                lossSum -= capped[t] - max - Math.log(norm);
                correct += argMax == t ? 1 : 0;
                for (int v = 0; v < V; v++) {
                    double d = (Math.exp(capped[v] - max) / norm - (v == t ? 1 : 0)) / count;
                    if (softcap > 0) {
                        double tanh = capped[v] / softcap;
                        d *= 1 - tanh * tanh;
                    }
                    for (int k = 0; k < H; k++) {
                        grad[i][k] += d * w[v * H + k];
                    }
                }
            }
            assertEquals(count, result.count().getFloat(), 0, what);
            assertEquals(lossSum, result.lossSum().getFloat(), 1e-5 * lossSum, what);
            assertEquals(correct, result.correct().getLong(), what);
            assertEquals(new Shape(N, H), result.gradient().getShape(), what);
            float[] actual = result.gradient().toFloatArray();
            for (int i = 0; i < N; i++) {
                for (int k = 0; k < H; k++) {
                    // ignored rows: exactly zero
                    double tolerance = TARGETS[i] == -100 ? 0 : 1e-6;
                    assertEquals(grad[i][k], actual[i * H + k], tolerance, what + ", row " + i + ", column " + k);
                }
            }
        }
    }
}
