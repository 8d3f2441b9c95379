package io.github.peft4j.models.reference;

import io.github.peft4j.models.config.BertConfig;

/**
 * transformers' BertForSequenceClassification and BertForMaskedLM/BertLMHeadModel forwards from
 * their equations, in double precision, one row at a time: word + position + token-type embeddings
 * and LayerNorm, post-LayerNorm encoder layers with bidirectional attention over the unpadded keys
 * (causal when is_decoder), exact (erf) GELU, then either the tanh pooler on the first position and
 * the classifier, or the MLM head (dense, GELU, LayerNorm, word embeddings transposed + bias).
 * Positions start after any past keys.
 */
public final class BertReference {

    private final BertConfig c;
    private final Weights w;

    public BertReference(BertConfig config, Weights weights) {
        this.c = config;
        this.w = weights;
    }

    /** @return logits [num_labels] */
    public double[] forward(RowInput in) {
        double[][] x = encode(in);
        double[] pooled = RefMath.linear(w.mat("bert.pooler.dense.weight"), w.vec("bert.pooler.dense.bias"), x[0]);
        for (int i = 0; i < pooled.length; i++) {
            pooled[i] = Math.tanh(pooled[i]);
        }
        return RefMath.linear(w.mat("classifier.weight"), w.vec("classifier.bias"), pooled);
    }

    /** @return BertForMaskedLM's token logits [virtual + T][vocab] (the decoder tied unless it has its own weight) */
    public double[][] tokenLogits(RowInput in) {
        double[][] x = encode(in);
        String p = "cls.predictions.";
        double[][] decoder = w.has(p + "decoder.weight") ? w.mat(p + "decoder.weight")
                : w.mat("bert.embeddings.word_embeddings.weight");
        double[][] logits = new double[x.length][];
        for (int t = 0; t < x.length; t++) {
            double[] h = RefMath.linear(w.mat(p + "transform.dense.weight"), w.vec(p + "transform.dense.bias"), x[t]);
            for (int i = 0; i < h.length; i++) {
                h[i] = RefMath.geluErf(h[i]);
            }
            h = RefMath.layerNorm(h, w.vec(p + "transform.LayerNorm.weight"), w.vec(p + "transform.LayerNorm.bias"),
                    c.layerNormEps());
            logits[t] = RefMath.linear(decoder, w.vec(p + "bias"), h);
        }
        return logits;
    }

    /** @return the encoder's last hidden states [virtual + T][hidden] */
    public double[][] encode(RowInput in) {
        int hidden = c.hiddenSize();
        int heads = c.numAttentionHeads();
        int d = hidden / heads;
        int past = in.pastLength();
        long[] full = in.fullMask();
        int n = full.length - past;
        int nv = in.virtualLength();
        double eps = c.layerNormEps();
        double[][] words = w.mat("bert.embeddings.word_embeddings.weight");
        double[][] positions = w.mat("bert.embeddings.position_embeddings.weight");
        double[][] types = w.mat("bert.embeddings.token_type_embeddings.weight");
        double[][] x = new double[n][];
        for (int t = 0; t < n; t++) {
            double[] word = t < nv ? in.virtual[t] : words[(int) in.ids[t - nv]];
            int type = t < nv || in.tokenTypes == null ? 0 : (int) in.tokenTypes[t - nv];
            double[] sum = RefMath.add(RefMath.add(word, types[type]), positions[past + t]);
            x[t] = RefMath.layerNorm(sum, w.vec("bert.embeddings.LayerNorm.weight"),
                    w.vec("bert.embeddings.LayerNorm.bias"), eps);
        }
        for (int layer = 0; layer < c.numLayers(); layer++) {
            String p = "bert.encoder.layer." + layer + ".";
            double[][] q = new double[n][];
            double[][] k = new double[n][];
            double[][] v = new double[n][];
            for (int t = 0; t < n; t++) {
                q[t] = RefMath.linear(w.mat(p + "attention.self.query.weight"), w.vec(p + "attention.self.query.bias"), x[t]);
                k[t] = RefMath.linear(w.mat(p + "attention.self.key.weight"), w.vec(p + "attention.self.key.bias"), x[t]);
                v[t] = RefMath.linear(w.mat(p + "attention.self.value.weight"), w.vec(p + "attention.self.value.bias"), x[t]);
            }
            double[][] context = new double[n][hidden];
            for (int hh = 0; hh < heads; hh++) {
                for (int t = 0; t < n; t++) {
                    double[] scores = new double[past + n];
                    boolean[] allowed = new boolean[past + n];
                    for (int s = 0; s < past + n; s++) {
                        allowed[s] = full[s] == 1 && (!c.isDecoder() || s <= past + t);
                        double[] key = s < past ? in.pastK[layer][hh][s] : slice(k[s - past], hh * d, d);
                        scores[s] = RefMath.dot(q[t], hh * d, key, 0, d) / Math.sqrt(d);
                    }
                    double[] prob = RefMath.maskedSoftmax(scores, allowed);
                    for (int s = 0; s < past + n; s++) {
                        double[] val = s < past ? in.pastV[layer][hh][s] : slice(v[s - past], hh * d, d);
                        for (int j = 0; j < d; j++) {
                            context[t][hh * d + j] += prob[s] * val[j];
                        }
                    }
                }
            }
            for (int t = 0; t < n; t++) {
                double[] attnOut = RefMath.layerNorm(RefMath.add(RefMath.linear(
                        w.mat(p + "attention.output.dense.weight"), w.vec(p + "attention.output.dense.bias"),
                        context[t]), x[t]), w.vec(p + "attention.output.LayerNorm.weight"),
                        w.vec(p + "attention.output.LayerNorm.bias"), eps);
                double[] inner = RefMath.linear(w.mat(p + "intermediate.dense.weight"),
                        w.vec(p + "intermediate.dense.bias"), attnOut);
                for (int i = 0; i < inner.length; i++) {
                    inner[i] = RefMath.geluErf(inner[i]);
                }
                x[t] = RefMath.layerNorm(RefMath.add(RefMath.linear(w.mat(p + "output.dense.weight"),
                        w.vec(p + "output.dense.bias"), inner), attnOut), w.vec(p + "output.LayerNorm.weight"),
                        w.vec(p + "output.LayerNorm.bias"), eps);
            }
        }
        return x;
    }

    private static double[] slice(double[] all, int offset, int d) {
        double[] out = new double[d];
        System.arraycopy(all, offset, out, 0, d);
        return out;
    }
}
