package io.github.peft4j.models.config;

/**
 * What Gemma 2 and Gemma 3 text add to a Llama decoder, with the defaults of their transformers
 * configs: RMSNorm scales stored as {@code w} and applied as {@code 1 + w}, embeddings scaled by
 * {@code sqrt(hidden_size)}, GELU-tanh, norms after attention and around the feed-forward block,
 * scores scaled by {@code query_pre_attn_scalar^-0.5}, tanh soft-capping of attention scores and
 * final logits (Gemma 2), and a separate RoPE base for the sliding layers (Gemma 3's
 * {@code rope_local_base_freq}).
 *
 * <pre>{@code
 * Double cap = config.gemma().map(GemmaFields::finalLogitSoftcapping).orElse(null);
 * }</pre>
 *
 * @param queryPreAttnScalar {@code query_pre_attn_scalar}
 * @param attnLogitSoftcapping {@code attn_logit_softcapping}, or {@code null}
 * @param finalLogitSoftcapping {@code final_logit_softcapping}, or {@code null}
 * @param ropeLocalBaseFreq {@code rope_local_base_freq} (Gemma 3), or {@code null}
 */
public record GemmaFields(double queryPreAttnScalar, Double attnLogitSoftcapping, Double finalLogitSoftcapping,
        Double ropeLocalBaseFreq) {

    static GemmaFields read(LlamaFamily family, JsonFields f) {
        boolean gemma2 = family == LlamaFamily.GEMMA2;
        double scalar = f.doubleValue("query_pre_attn_scalar", 256);
        if (!(scalar > 0)) {
            throw f.invalid("query_pre_attn_scalar", "must be > 0, found " + scalar);
        }
        Double attnCap = f.present("attn_logit_softcapping") ? f.doubleOrNull("attn_logit_softcapping")
                : gemma2 ? Double.valueOf(50.0) : null;
        Double finalCap = f.present("final_logit_softcapping") ? f.doubleOrNull("final_logit_softcapping")
                : gemma2 ? Double.valueOf(30.0) : null;
        Double localBase = gemma2 ? null : Double.valueOf(f.doubleValue("rope_local_base_freq", 10000.0));
        return new GemmaFields(scalar, attnCap, finalCap, localBase);
    }
}
