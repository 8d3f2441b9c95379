package io.github.peft4j.models.reference;

import io.github.peft4j.models.config.Gpt2Config;

/**
 * transformers' GPT2LMHeadModel forward from its equations, in double precision, one row at a time:
 * token + learned position embeddings, pre-LayerNorm blocks with Conv1D ([in, out]) projections,
 * causal attention scaled by 1/sqrt(head_dim) (and 1/(layer+1) when configured), gelu_new MLP,
 * ln_f, head tied to wte unless configured otherwise.
 */
public final class Gpt2Reference {

    private final Gpt2Config c;
    private final Weights w;

    public Gpt2Reference(Gpt2Config config, Weights weights) {
        this.c = config;
        this.w = weights;
    }

    /** @return logits [virtual + T][vocab] */
    public double[][] forward(RowInput in) {
        int e = c.hiddenSize();
        int heads = c.numAttentionHeads();
        int d = e / heads;
        int past = in.pastLength();
        long[] full = in.fullMask();
        int n = full.length - past;
        int nv = in.virtualLength();
        double[][] wte = w.mat("transformer.wte.weight");
        double[][] wpe = w.mat("transformer.wpe.weight");
        double[][] x = new double[n][];
        int count = 0;
        for (int s = 0; s < full.length; s++) {
            count += full[s];
            if (s >= past) {
                int t = s - past;
                double[] tok = t < nv ? in.virtual[t] : wte[(int) in.ids[t - nv]];
                x[t] = RefMath.add(tok, wpe[Math.max(0, count - 1)]);
            }
        }
        for (int layer = 0; layer < c.numLayers(); layer++) {
            String p = "transformer.h." + layer + ".";
            double[][] qkv = new double[n][];
            for (int t = 0; t < n; t++) {
                double[] h = RefMath.layerNorm(x[t], w.vec(p + "ln_1.weight"), w.vec(p + "ln_1.bias"), c.layerNormEps());
                qkv[t] = RefMath.conv1d(w.mat(p + "attn.c_attn.weight"), w.vec(p + "attn.c_attn.bias"), h);
            }
            double scale = 1 / Math.sqrt(d);
            if (c.scaleAttnByInverseLayerIdx()) {
                scale /= layer + 1;
            }
            double[][] attn = new double[n][e];
            for (int hh = 0; hh < heads; hh++) {
                for (int t = 0; t < n; t++) {
                    int qi = past + t;
                    double[] scores = new double[past + n];
                    boolean[] allowed = new boolean[past + n];
                    for (int s = 0; s < past + n; s++) {
                        allowed[s] = s <= qi && full[s] == 1;
                        double[] key = s < past ? in.pastK[layer][hh][s] : slice(qkv[s - past], e + hh * d, d);
                        scores[s] = RefMath.dot(qkv[t], hh * d, key, 0, d) * scale;
                    }
                    double[] prob = RefMath.maskedSoftmax(scores, allowed);
                    for (int s = 0; s < past + n; s++) {
                        double[] val = s < past ? in.pastV[layer][hh][s] : slice(qkv[s - past], 2 * e + hh * d, d);
                        for (int j = 0; j < d; j++) {
                            attn[t][hh * d + j] += prob[s] * val[j];
                        }
                    }
                }
            }
            for (int t = 0; t < n; t++) {
                x[t] = RefMath.add(x[t], RefMath.conv1d(w.mat(p + "attn.c_proj.weight"), w.vec(p + "attn.c_proj.bias"),
                        attn[t]));
                double[] h = RefMath.layerNorm(x[t], w.vec(p + "ln_2.weight"), w.vec(p + "ln_2.bias"), c.layerNormEps());
                double[] inner = RefMath.conv1d(w.mat(p + "mlp.c_fc.weight"), w.vec(p + "mlp.c_fc.bias"), h);
                for (int i = 0; i < inner.length; i++) {
                    inner[i] = RefMath.geluTanh(inner[i]);
                }
                x[t] = RefMath.add(x[t], RefMath.conv1d(w.mat(p + "mlp.c_proj.weight"), w.vec(p + "mlp.c_proj.bias"),
                        inner));
            }
        }
        double[][] head = c.tieWordEmbeddings() ? wte : w.mat("lm_head.weight");
        double[][] logits = new double[n][];
        for (int t = 0; t < n; t++) {
            double[] h = RefMath.layerNorm(x[t], w.vec("transformer.ln_f.weight"), w.vec("transformer.ln_f.bias"),
                    c.layerNormEps());
            logits[t] = RefMath.linear(head, null, h);
        }
        return logits;
    }

    private static double[] slice(double[] all, int offset, int d) {
        double[] out = new double[d];
        System.arraycopy(all, offset, out, 0, d);
        return out;
    }
}
