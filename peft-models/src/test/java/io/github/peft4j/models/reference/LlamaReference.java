package io.github.peft4j.models.reference;

import io.github.peft4j.models.config.LlamaConfig;
import io.github.peft4j.models.config.RopeScaling;

/**
 * transformers' LlamaForCausalLM forward (also Mistral, Qwen2, Qwen3, Phi-3, Gemma 2 and Gemma 3
 * text) written from the modeling files' equations in double precision, one row at a time: RMSNorm
 * ((1 + w) for Gemma), RoPE (rotate_half form, rope_theta, linear/llama3 scaling, partial rotary
 * factor, Gemma 3's local base on sliding layers), grouped-query attention with causal, padding and
 * sliding-window masks (per layer as transformers' layer_types), Qwen3/Gemma 3 q/k norms, Phi-3's
 * fused projections split by rows, Gemma's scaled embeddings, extra norms, query_pre_attn_scalar and
 * soft-capping, SwiGLU/GeGLU, tied or untied head. Positions count the real tokens before each one
 * (transformers' generation rule). Longrope (Phi-3): inv_freq = 1 / (ext * theta^(2i/d)) with the long
 * factors once the sequence length passes original_max_position_embeddings, cos/sin times
 * sqrt(1 + ln(max / original) / ln(original)).
 */
public final class LlamaReference {

    private final LlamaConfig c;
    private final Weights w;
    private final String type;
    private final boolean gemma;
    private Integer ropeSequenceLength;

    /**
     * transformers picks longrope's factors once per batch (its largest position + 1); a row alone
     * would decide by its own length.
     *
     * @param length the batch's sequence length for the short/long choice
     * @return this reference
     */
    public LlamaReference ropeSequenceLength(int length) {
        this.ropeSequenceLength = length;
        return this;
    }

    public LlamaReference(LlamaConfig config, Weights weights) {
        this.c = config;
        this.w = weights;
        this.type = config.modelType();
        this.gemma = type.startsWith("gemma");
    }

    static double[] inverseFrequencies(double theta, RopeScaling s, int d) {
        double[] inv = new double[d / 2];
        for (int i = 0; i < inv.length; i++) {
            double f = 1.0 / Math.pow(theta, 2.0 * i / d);
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

    private double num(String key, double otherwise) {
        return c.get(key).filter(n -> n.isNumber()).map(n -> n.doubleValue()).orElse(otherwise);
    }

    /** The window of a layer, from transformers' default layer_types of each model type. */
    private Integer window(int layer) {
        Integer window = c.slidingWindow();
        if (window == null) {
            return null;
        }
        switch (type) {
            case "gemma2":
                return layer % 2 == 0 ? window : null;
            case "gemma3_text":
                return (layer + 1) % (int) num("sliding_window_pattern", 6) != 0 ? window : null;
            case "qwen2":
            case "qwen3":
                return layer >= num("max_window_layers", 28) ? window : null;
            default:
                return window;
        }
    }

    private double[] norm(double[] x, String key) {
        double[] weight = w.vec(key);
        if (gemma) {
            weight = weight.clone();
            for (int i = 0; i < weight.length; i++) {
                weight[i] += 1;
            }
        }
        return RefMath.rmsNorm(x, weight, c.rmsNormEps());
    }

    private static double softcap(double x, Double cap) {
        return cap == null ? x : cap * Math.tanh(x / cap);
    }

    /** @return logits [virtual + T][vocab] */
    public double[][] forward(RowInput in) {
        int heads = c.numAttentionHeads();
        int kvHeads = c.numKeyValueHeads();
        int d = c.headDim();
        int rotary = (int) (d * num("partial_rotary_factor", 1.0));
        double[] globalInv = inverseFrequencies(c.ropeTheta(), c.ropeScaling(), rotary);
        double[] localInv = type.equals("gemma3_text")
                ? inverseFrequencies(num("rope_local_base_freq", 10000), RopeScaling.NONE, rotary) : globalInv;
        double scale = gemma ? 1 / Math.sqrt(num("query_pre_attn_scalar", 256)) : 1 / Math.sqrt(d);
        Double attnCap = c.get("attn_logit_softcapping").filter(n -> n.isNumber()).map(n -> n.doubleValue())
                .orElse(type.equals("gemma2") && c.get("attn_logit_softcapping").isEmpty() ? 50.0 : null);
        Double finalCap = c.get("final_logit_softcapping").filter(n -> n.isNumber()).map(n -> n.doubleValue())
                .orElse(type.equals("gemma2") && c.get("final_logit_softcapping").isEmpty() ? 30.0 : null);
        boolean silu = c.hiddenAct().equals("silu");
        int past = in.pastLength();
        long[] full = in.fullMask();
        int n = full.length - past;
        double[][] x = new double[n][];
        int nv = in.virtualLength();
        double[][] embed = w.mat("model.embed_tokens.weight");
        for (int t = 0; t < n; t++) {
            x[t] = t < nv ? in.virtual[t].clone() : embed[(int) in.ids[t - nv]].clone();
            if (gemma) {
                for (int i = 0; i < x[t].length; i++) {
                    x[t][i] *= Math.sqrt(c.hiddenSize());
                }
            }
        }
        int[] pos = new int[n];
        int count = 0;
        for (int s = 0; s < full.length; s++) {
            count += full[s];
            if (s >= past) {
                pos[s - past] = Math.max(0, count - 1);
            }
        }
        double ropeScale = 1;
        com.fasterxml.jackson.databind.JsonNode rs = c.get("rope_scaling").orElse(null);
        if (rs != null && rs.path("type").asText(rs.path("rope_type").asText()).matches("longrope|su")) {
            double original = num("original_max_position_embeddings", 4096);
            double factor = c.maxPositionEmbeddings() / original;
            ropeScale = factor <= 1 ? 1 : Math.sqrt(1 + Math.log(factor) / Math.log(original));
            int maxPos = 0;
            for (int q : pos) {
                maxPos = Math.max(maxPos, q);
            }
            int length = ropeSequenceLength != null ? ropeSequenceLength : maxPos + 1;
            com.fasterxml.jackson.databind.JsonNode ext = rs.get(length > original ? "long_factor" : "short_factor");
            for (int i = 0; i < globalInv.length; i++) {
                globalInv[i] = 1.0 / (ext.get(i).asDouble() * Math.pow(c.ropeTheta(), 2.0 * i / rotary));
            }
        }
        for (int layer = 0; layer < c.numLayers(); layer++) {
            String p = "model.layers." + layer + ".";
            Integer window = window(layer);
            double[] inv = window != null ? localInv : globalInv;
            double[][] q = new double[n][];
            double[][] k = new double[n][];
            double[][] v = new double[n][];
            for (int t = 0; t < n; t++) {
                double[] h = norm(x[t], p + "input_layernorm.weight");
                if (w.has(p + "self_attn.qkv_proj.weight")) {
                    double[] qkv = RefMath.linear(w.mat(p + "self_attn.qkv_proj.weight"), null, h);
                    q[t] = java.util.Arrays.copyOfRange(qkv, 0, heads * d);
                    k[t] = java.util.Arrays.copyOfRange(qkv, heads * d, (heads + kvHeads) * d);
                    v[t] = java.util.Arrays.copyOfRange(qkv, (heads + kvHeads) * d, (heads + 2 * kvHeads) * d);
                } else {
                    q[t] = RefMath.linear(w.mat(p + "self_attn.q_proj.weight"), bias(p + "self_attn.q_proj.bias"), h);
                    k[t] = RefMath.linear(w.mat(p + "self_attn.k_proj.weight"), bias(p + "self_attn.k_proj.bias"), h);
                    v[t] = RefMath.linear(w.mat(p + "self_attn.v_proj.weight"), bias(p + "self_attn.v_proj.bias"), h);
                }
                if (w.has(p + "self_attn.q_norm.weight")) {
                    q[t] = perHeadNorm(q[t], heads, d, p + "self_attn.q_norm.weight");
                    k[t] = perHeadNorm(k[t], kvHeads, d, p + "self_attn.k_norm.weight");
                }
                q[t] = rope(q[t], heads, pos[t], inv, rotary, ropeScale);
                k[t] = rope(k[t], kvHeads, pos[t], inv, rotary, ropeScale);
            }
            double[][] attn = new double[n][heads * d];
            for (int hh = 0; hh < heads; hh++) {
                int kvh = hh / (heads / kvHeads);
                for (int t = 0; t < n; t++) {
                    int qi = past + t;
                    double[] scores = new double[past + n];
                    boolean[] allowed = new boolean[past + n];
                    for (int s = 0; s < past + n; s++) {
                        allowed[s] = s <= qi && full[s] == 1 && (window == null || qi - s < window);
                        double[] key = s < past ? in.pastK[layer][kvh][s] : slice(k[s - past], kvh, d);
                        scores[s] = softcap(RefMath.dot(q[t], hh * d, key, 0, d) * scale, attnCap);
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
                double[] o = RefMath.linear(w.mat(p + "self_attn.o_proj.weight"), bias(p + "self_attn.o_proj.bias"),
                        attn[t]);
                x[t] = RefMath.add(x[t], gemma ? norm(o, p + "post_attention_layernorm.weight") : o);
                double[] h = norm(x[t], p + (gemma ? "pre_feedforward_layernorm.weight" : "post_attention_layernorm.weight"));
                double[] gate;
                double[] up;
                if (w.has(p + "mlp.gate_up_proj.weight")) {
                    double[] both = RefMath.linear(w.mat(p + "mlp.gate_up_proj.weight"), null, h);
                    gate = java.util.Arrays.copyOfRange(both, 0, both.length / 2);
                    up = java.util.Arrays.copyOfRange(both, both.length / 2, both.length);
                } else {
                    gate = RefMath.linear(w.mat(p + "mlp.gate_proj.weight"), bias(p + "mlp.gate_proj.bias"), h);
                    up = RefMath.linear(w.mat(p + "mlp.up_proj.weight"), bias(p + "mlp.up_proj.bias"), h);
                }
                for (int i = 0; i < gate.length; i++) {
                    gate[i] = (silu ? RefMath.silu(gate[i]) : RefMath.geluTanh(gate[i])) * up[i];
                }
                double[] down = RefMath.linear(w.mat(p + "mlp.down_proj.weight"), bias(p + "mlp.down_proj.bias"), gate);
                x[t] = RefMath.add(x[t], gemma ? norm(down, p + "post_feedforward_layernorm.weight") : down);
            }
        }
        double[][] head = c.tieWordEmbeddings() ? embed : w.mat("lm_head.weight");
        double[][] logits = new double[n][];
        for (int t = 0; t < n; t++) {
            logits[t] = RefMath.linear(head, null, norm(x[t], "model.norm.weight"));
            for (int i = 0; i < logits[t].length; i++) {
                logits[t][i] = softcap(logits[t][i], finalCap);
            }
        }
        return logits;
    }

    private double[] perHeadNorm(double[] x, int heads, int d, String key) {
        double[] out = new double[x.length];
        for (int h = 0; h < heads; h++) {
            System.arraycopy(norm(slice(x, h, d), key), 0, out, h * d, d);
        }
        return out;
    }

    private double[] bias(String key) {
        return w.has(key) ? w.vec(key) : null;
    }

    private static double[] slice(double[] all, int head, int d) {
        double[] out = new double[d];
        System.arraycopy(all, head * d, out, 0, d);
        return out;
    }

    /**
     * x * cos + rotate_half(x) * sin on the first {@code rotary} channels of each head,
     * rotate_half(x) = [-x2, x1], frequencies repeated over both halves; the other channels pass.
     */
    private double[] rope(double[] x, int heads, int position, double[] inv, int rotary, double scale) {
        int d = c.headDim();
        int half = rotary / 2;
        double[] out = x.clone();
        for (int h = 0; h < heads; h++) {
            int o = h * d;
            for (int i = 0; i < rotary; i++) {
                double angle = position * inv[i % half];
                double rotated = i < half ? -x[o + i + half] : x[o + i - half];
                out[o + i] = x[o + i] * Math.cos(angle) * scale + rotated * Math.sin(angle) * scale;
            }
        }
        return out;
    }
}
