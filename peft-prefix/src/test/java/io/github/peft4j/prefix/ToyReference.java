package io.github.peft4j.prefix;

import ai.djl.nn.Parameter;

/**
 * The forward of {@link ToyPromptModel} in plain Java doubles, loop by loop, with virtual tokens
 * and a PEFT-layout prefix applied by hand: the independent oracle of the hook tests.
 */
final class ToyReference {

    private final ToyPromptModel model;

    ToyReference(ToyPromptModel model) {
        this.model = model;
    }

    static double[][] matrix(Parameter p) {
        long[] shape = p.getArray().getShape().getShape();
        float[] flat = p.getArray().toFloatArray();
        double[][] out = new double[(int) shape[0]][(int) shape[1]];
        for (int r = 0; r < out.length; r++) {
            for (int c = 0; c < out[r].length; c++) {
                out[r][c] = flat[r * out[r].length + c];
            }
        }
        return out;
    }

    private static double[] times(double[][] w, double[] x) {
        double[] y = new double[w.length];
        for (int r = 0; r < w.length; r++) {
            double acc = 0;
            for (int c = 0; c < x.length; c++) {
                acc += w[r][c] * x[c];
            }
            y[r] = acc;
        }
        return y;
    }

    /**
     * @param ids one sequence of token ids
     * @param mask 1/0 per token, or null for all ones
     * @param virtualTokens rows prepended to the embeddings, or null
     * @param prefix PEFT's prefix table [nvt][num_layers·2·kvHeads·headDim], or null
     * @return logits [virtual + seq][vocab]
     */
    double[][] logits(long[] ids, int[] mask, double[][] virtualTokens, double[][] prefix) {
        int d = model.hidden;
        int hd = model.headDim;
        int nv = virtualTokens == null ? 0 : virtualTokens.length;
        int p = prefix == null ? 0 : prefix.length;
        int s = nv + ids.length;
        double[][] embed = matrix(model.embedTokens.weight);
        double[][] x = new double[s][];
        for (int t = 0; t < s; t++) {
            x[t] = t < nv ? virtualTokens[t].clone() : embed[(int) ids[t - nv]].clone();
        }
        boolean[] visible = new boolean[p + s]; // key positions: prefix, virtual, real
        for (int j = 0; j < p + s; j++) {
            visible[j] = j < p + nv || mask == null || mask[j - p - nv] == 1;
        }
        int groups = model.heads / model.kvHeads;
        for (int layer = 0; layer < model.layers; layer++) {
            ToyPromptModel.Attention a = model.attention.get(layer);
            double[][] wq = matrix(a.q.weight);
            double[][] wk = matrix(a.k.weight);
            double[][] wv = matrix(a.v.weight);
            double[][] wo = matrix(a.o.weight);
            double[][] q = new double[s][];
            double[][] k = new double[p + s][];
            double[][] v = new double[p + s][];
            for (int j = 0; j < p; j++) {
                // PEFT: row j viewed as [num_layers*2, kvHeads, headDim]; 2*layer is K, 2*layer+1 is V
                k[j] = new double[model.kvHeads * hd];
                v[j] = new double[model.kvHeads * hd];
                for (int h = 0; h < model.kvHeads; h++) {
                    for (int e = 0; e < hd; e++) {
                        k[j][h * hd + e] = prefix[j][((2 * layer) * model.kvHeads + h) * hd + e];
                        v[j][h * hd + e] = prefix[j][((2 * layer + 1) * model.kvHeads + h) * hd + e];
                    }
                }
            }
            for (int t = 0; t < s; t++) {
                q[t] = times(wq, x[t]);
                k[p + t] = times(wk, x[t]);
                v[p + t] = times(wv, x[t]);
            }
            double[][] next = new double[s][];
            for (int t = 0; t < s; t++) {
                double[] context = new double[model.heads * hd];
                for (int h = 0; h < model.heads; h++) {
                    int kvh = h / groups;
                    double[] w = new double[p + s];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < p + s; j++) {
                        boolean allowed = visible[j] && (j < p || j - p <= t);
                        if (!allowed) {
                            w[j] = Double.NEGATIVE_INFINITY;
                            continue;
                        }
                        double dot = 0;
                        for (int e = 0; e < hd; e++) {
                            dot += q[t][h * hd + e] * k[j][kvh * hd + e];
                        }
                        w[j] = dot / Math.sqrt(hd);
                        max = Math.max(max, w[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j < p + s; j++) {
                        w[j] = w[j] == Double.NEGATIVE_INFINITY ? 0 : Math.exp(w[j] - max);
                        sum += w[j];
                    }
                    for (int j = 0; j < p + s; j++) {
                        for (int e = 0; e < hd; e++) {
                            context[h * hd + e] += w[j] / sum * v[j][kvh * hd + e];
                        }
                    }
                }
                double[] out = times(wo, context);
                next[t] = new double[d];
                for (int c = 0; c < d; c++) {
                    next[t][c] = x[t][c] + out[c];
                }
            }
            x = next;
        }
        double[][] lm = matrix(model.lmHead.weight);
        double[][] logits = new double[s][];
        for (int t = 0; t < s; t++) {
            logits[t] = times(lm, x[t]);
        }
        return logits;
    }
}
