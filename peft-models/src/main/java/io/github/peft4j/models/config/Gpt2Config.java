package io.github.peft4j.models.config;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;

/**
 * Configuration of GPT-2 ({@code model_type: gpt2}) with transformers' {@code GPT2Config} keys
 * ({@code n_embd}, {@code n_layer}, {@code n_head}, {@code n_inner}, {@code n_positions}) and defaults.
 *
 * <pre>{@code
 * Gpt2Config config = Gpt2Config.tiny().numLayers(3).build();
 * }</pre>
 */
public final class Gpt2Config extends ModelConfig {

    private final double layerNormEps;
    private final double residDropout;
    private final double embdDropout;
    private final double attnDropout;
    private final boolean scaleAttnWeights;
    private final boolean scaleAttnByInverseLayerIdx;

    Gpt2Config(ObjectNode json, Path source) {
        super(json, source, 50256, 50256, Gpt2Config::readCommon);
        JsonFields f = fields();
        layerNormEps = f.doubleValue("layer_norm_epsilon", 1e-5);
        residDropout = f.doubleValue("resid_pdrop", 0.1);
        embdDropout = f.doubleValue("embd_pdrop", 0.1);
        attnDropout = f.doubleValue("attn_pdrop", 0.1);
        scaleAttnWeights = f.boolValue("scale_attn_weights", true);
        scaleAttnByInverseLayerIdx = f.boolValue("scale_attn_by_inverse_layer_idx", false);
    }

    private static CommonFields readCommon(JsonFields f) {
        if (!f.modelType().equals("gpt2")) {
            throw f.invalid("model_type", "Gpt2Config reads gpt2, not '" + f.modelType() + "'");
        }
        int vocabSize = f.requiredPositiveInt("vocab_size", 50257);
        int nEmbd = f.requiredPositiveInt("n_embd", 768);
        int nLayer = f.requiredPositiveInt("n_layer", 12);
        int nHead = f.requiredPositiveInt("n_head", 12);
        if (nEmbd % nHead != 0) {
            throw f.invalid("n_head", "n_embd (" + nEmbd + ") must be a multiple of n_head (" + nHead + ")");
        }
        int nInner = f.requiredPositiveInt("n_inner", 4 * nEmbd);
        int nPositions = f.requiredPositiveInt("n_positions", 1024);
        String activation = f.string("activation_function", "gelu_new");
        double initializerRange = f.doubleValue("initializer_range", 0.02);
        boolean tieWordEmbeddings = f.boolValue("tie_word_embeddings", true);
        return new CommonFields(vocabSize, nEmbd, nLayer, nHead, nInner, nPositions, activation, initializerRange,
                tieWordEmbeddings);
    }

    /** @return a builder with transformers' defaults (GPT-2 small) */
    public static Builder builder() {
        return new Builder(newJson("gpt2"));
    }

    /**
     * A small model for tests and examples: vocab 128, n_embd 32, 2 layers, 4 heads, 64 positions,
     * tied head, dropout 0.1 as in GPT-2.
     *
     * @return a builder preset to that size
     */
    public static Builder tiny() {
        return builder().vocabSize(128).hiddenSize(32).numLayers(2).numAttentionHeads(4).maxPositionEmbeddings(64)
                .bosTokenId(127).eosTokenId(127);
    }

    @Override
    public Builder toBuilder() {
        return new Builder(jsonCopy());
    }

    @Override
    public String architecture() {
        return "GPT2LMHeadModel";
    }

    @Override
    public boolean isCausalLm() {
        return true;
    }

    /** @return {@code layer_norm_epsilon} */
    public double layerNormEps() {
        return layerNormEps;
    }

    /** @return {@code resid_pdrop} */
    public double residDropout() {
        return residDropout;
    }

    /** @return {@code embd_pdrop} */
    public double embdDropout() {
        return embdDropout;
    }

    /** @return {@code attn_pdrop} */
    public double attnDropout() {
        return attnDropout;
    }

    /** @return {@code scale_attn_weights}: divide scores by sqrt(head_dim) */
    public boolean scaleAttnWeights() {
        return scaleAttnWeights;
    }

    /** @return {@code scale_attn_by_inverse_layer_idx}: also divide by layer index + 1 */
    public boolean scaleAttnByInverseLayerIdx() {
        return scaleAttnByInverseLayerIdx;
    }

    /** Builder of {@link Gpt2Config}; every setter writes the transformers key. */
    public static final class Builder extends ModelConfig.Builder<Gpt2Config, Builder> {

        Builder(ObjectNode json) {
            super(json, AttributeKeys.GPT2);
        }

        /** @param v {@code activation_function}, the same as {@link #hiddenAct} @return this builder */
        public Builder activation(String v) {
            return hiddenAct(v);
        }

        /** @param v {@code layer_norm_epsilon} @return this builder */
        public Builder layerNormEps(double v) {
            return put("layer_norm_epsilon", v);
        }

        /**
         * Sets {@code resid_pdrop}, {@code embd_pdrop} and {@code attn_pdrop} together.
         *
         * @param v the dropout probability
         * @return this builder
         */
        public Builder dropout(double v) {
            json.put("resid_pdrop", v);
            json.put("embd_pdrop", v);
            json.put("attn_pdrop", v);
            return this;
        }

        /** @param v {@code scale_attn_by_inverse_layer_idx} @return this builder */
        public Builder scaleAttnByInverseLayerIdx(boolean v) {
            return put("scale_attn_by_inverse_layer_idx", v);
        }

        @Override
        public Gpt2Config build() {
            return new Gpt2Config(json.deepCopy(), null);
        }
    }
}
