package io.github.peft4j.models.reference;

import io.github.peft4j.models.config.LlamaConfig;
import io.github.peft4j.models.config.RopeScaling;

/**
 * transformers' LlamaForCausalLM forward (also Mistral, Qwen2) written from its equations in
 * double precision, one row at a time: RMSNorm, RoPE (rotate_half form, rope_theta, linear/llama3
 * scaling), grouped-query attention with causal, padding and sliding-window masks, SwiGLU, tied or
 * untied head. Positions count the real tokens before each one (transformers' generation rule).
 */
public final class LlamaReference {

    private final LlamaConfig c;
    private final Weights w;
    private final double[] invFreq;

    public LlamaReference(LlamaConfig config, Weights weights) {
        this.c = config;
        this.w = weights;
        this.invFreq = inverseFrequencies(config);
    }

    static double[] inverseFrequencies(LlamaConfig c) {
        int d = c.headDim();
        double[] inv = new double[d / 2];
        RopeScaling s = c.ropeScaling();
        for (int i = 0; i < inv.length; i++) {
            double f = 1.0 / Math.pow(c.ropeTheta(), 2.0 * i / d);
            if (s.type().equals("linear")) {
                f /= s.factor();
            } else if (s.type().equals("llama3")) {
                double wavelen = 2 * Math.PI / f;
                double lowWavelen = s.originalMaxPositionEmbeddings() / s.lowFreqFactor();
                double highWavelen = s.originalMaxPositionEmbeddings() / s.highFreqFactor();
                if (wavelen > lowWavelen) {
                    f = f / s.factor();
                } else if (wavelen >= highWavelen) {
                    double smooth = (s.originalMaxPositionEmbeddings() / wavelen - s.lowFreqFactor())
                            / (s.highFreqFactor() - s.lowFreqFactor());
                    f = (1 - smooth) * f / s.factor() + smooth * f;
                }
            }
            inv[i] = f;
        }
        return inv;
    }

    /** @return logits [virtual + T][vocab] */
    public double[][] forward(RowInput in) {
        int hidden = c.hiddenSize();
        int heads = c.numAttentionHeads();
        int kvHeads = c.numKeyValueHeads();
        int d = c.headDim();
        int past = in.pastLength();
        long[] full = in.fullMask();
        int n = full.length - past;
        double[][] x = new double[n][];
        int nv = in.virtualLength();
        double[][] embed = w.mat("model.embed_tokens.weight");
        for (int t = 0; t < n; t++) {
            x[t] = t < nv ? in.virtual[t].clone() : embed[(int) in.ids[t - nv]].clone();
        }
        int[] pos = new int[n];
        int count = 0;
        for (int s = 0; s < full.length; s++) {
            count += full[s];
            if (s >= past) {
                pos[s - past] = Math.max(0, count - 1);
            }
        }
        for (int layer = 0; layer < c.numLayers(); layer++) {
            String p = "model.layers." + layer + ".";
            double[][] q = new double[n][];
            double[][] k = new double[n][];
            double[][] v = new double[n][];
            for (int t = 0; t < n; t++) {
                double[] h = RefMath.rmsNorm(x[t], w.vec(p + "input_layernorm.weight"), c.rmsNormEps());
                q[t] = rope(RefMath.linear(w.mat(p + "self_attn.q_proj.weight"), bias(p + "self_attn.q_proj.bias"), h),
                        heads, pos[t]);
                k[t] = rope(RefMath.linear(w.mat(p + "self_attn.k_proj.weight"), bias(p + "self_attn.k_proj.bias"), h),
                        kvHeads, pos[t]);
                v[t] = RefMath.linear(w.mat(p + "self_attn.v_proj.weight"), bias(p + "self_attn.v_proj.bias"), h);
            }
            double[][] attn = new double[n][heads * d];
            for (int hh = 0; hh < heads; hh++) {
                int kvh = hh / (heads / kvHeads);
                for (int t = 0; t < n; t++) {
                    int qi = past + t;
                    double[] scores = new double[past + n];
                    boolean[] allowed = new boolean[past + n];
                    for (int s = 0; s < past + n; s++) {
                        allowed[s] = s <= qi && full[s] == 1
                                && (c.slidingWindow() == null || qi - s < c.slidingWindow());
                        double[] key = s < past ? in.pastK[layer][kvh][s] : slice(k[s - past], kvh, d);
                        scores[s] = RefMath.dot(q[t], hh * d, key, 0, d) / Math.sqrt(d);
                    }
                    double[] prob = RefMath.maskedSoftmax(scores, allowed);
                    for (int s = 0; s < past + n; s++) {
                        double[] val = s < past ? in.pastV[layer][kvh][s] : slice(v[s - past], kvh, d);
                        for (int j = 0; j < d; j++) {
                            attn[t][hh * d + j] += prob[s] * val[j];
                        }
                    }
                }
            }
            for (int t = 0; t < n; t++) {
                x[t] = RefMath.add(x[t], RefMath.linear(w.mat(p + "self_attn.o_proj.weight"),
                        bias(p + "self_attn.o_proj.bias"), attn[t]));
                double[] h = RefMath.rmsNorm(x[t], w.vec(p + "post_attention_layernorm.weight"), c.rmsNormEps());
                double[] gate = RefMath.linear(w.mat(p + "mlp.gate_proj.weight"), bias(p + "mlp.gate_proj.bias"), h);
                double[] up = RefMath.linear(w.mat(p + "mlp.up_proj.weight"), bias(p + "mlp.up_proj.bias"), h);
                for (int i = 0; i < gate.length; i++) {
                    gate[i] = RefMath.silu(gate[i]) * up[i];
                }
                x[t] = RefMath.add(x[t], RefMath.linear(w.mat(p + "mlp.down_proj.weight"),
                        bias(p + "mlp.down_proj.bias"), gate));
            }
        }
        double[][] head = c.tieWordEmbeddings() ? embed : w.mat("lm_head.weight");
        double[][] logits = new double[n][];
        for (int t = 0; t < n; t++) {
            logits[t] = RefMath.linear(head, null, RefMath.rmsNorm(x[t], w.vec("model.norm.weight"), c.rmsNormEps()));
        }
        assert hidden == x[0].length;
        return logits;
    }

    private double[] bias(String key) {
        return w.has(key) ? w.vec(key) : null;
    }

    private static double[] slice(double[] all, int head, int d) {
        double[] out = new double[d];
        System.arraycopy(all, head * d, out, 0, d);
        return out;
    }

    /** x * cos + rotate_half(x) * sin per head, rotate_half(x) = [-x2, x1], frequencies repeated over both halves. */
    private double[] rope(double[] x, int heads, int position) {
        int d = c.headDim();
        int half = d / 2;
        double[] out = new double[x.length];
        for (int h = 0; h < heads; h++) {
            int o = h * d;
            for (int i = 0; i < d; i++) {
                double angle = position * invFreq[i % half];
                double rotated = i < half ? -x[o + i + half] : x[o + i - half];
                out[o + i] = x[o + i] * Math.cos(angle) + rotated * Math.sin(angle);
            }
        }
        return out;
    }
}
