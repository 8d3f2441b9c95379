package io.github.peft4j.prefix.prefixtuning;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.hooks.PromptLearningModel;
import io.github.peft4j.prefix.PromptLearningConfig;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Prefix tuning (Li and Liang), PEFT's {@code PrefixTuningConfig}: trainable keys and values of
 * {@code num_virtual_tokens} positions in every attention layer. Fields and defaults as in PEFT:
 * {@code prefix_projection} ({@code false}; {@code true} trains the prefix through
 * Embedding → Linear → Tanh → Linear), {@code encoder_hidden_size} (the projection's width,
 * {@code null} → {@code token_dim}) and {@code init_weights} ({@code null}, or {@code "zero"}).
 *
 * <p>As PEFT does for grouped-query attention, the prefix is sized by the key/value heads: when the
 * adapter is added, {@code token_dim} becomes {@code head_dim · num_key_value_heads} and
 * {@code num_attention_heads} becomes {@code num_key_value_heads}, and these are the values saved.
 *
 * <pre>{@code
 * PrefixTuningConfig config = PrefixTuningConfig.builder().numVirtualTokens(30).taskType("CAUSAL_LM").build();
 * PeftModel model = PeftModel.create(llama, config);
 * model.countParameters(); // 30 · num_layers · 2 · head_dim · num_key_value_heads trainable
 * }</pre>
 */
public final class PrefixTuningConfig extends PromptLearningConfig {

    /** The {@code peft_type}. */
    public static final String PEFT_TYPE = "PREFIX_TUNING";

    /** The only value {@code init_weights} accepts besides {@code null}. */
    public static final String INIT_ZERO = "zero";

    @JsonProperty("init_weights")
    private String initWeights;

    @JsonProperty("encoder_hidden_size")
    private Integer encoderHiddenSize;

    @JsonProperty("prefix_projection")
    private boolean prefixProjection;

    private PrefixTuningConfig() {}

    @Override
    public String peftType() {
        return PEFT_TYPE;
    }

    /** @return {@code null} (random init) or {@code "zero"} (the prefix starts at zero) */
    public String initWeights() {
        return initWeights;
    }

    /** @return the projection's hidden width, or {@code null} until filled with {@code token_dim} */
    public Integer encoderHiddenSize() {
        return encoderHiddenSize;
    }

    /** @return whether the prefix is reparameterised through an MLP while training */
    public boolean prefixProjection() {
        return prefixProjection;
    }

    /** @return the prompt learning sizes, and {@code encoder_hidden_size} when the prefix is projected */
    @Override
    public Map<String, Long> declaredSizes() {
        Map<String, Long> sizes = new LinkedHashMap<>(super.declaredSizes());
        if (prefixProjection) {
            putIfSet(sizes, "encoder_hidden_size", encoderHiddenSize);
        }
        return sizes;
    }

    /** @return 0: the prefix is given to the attention layers, the sequence keeps its length */
    @Override
    public int prependedPositions() {
        return 0;
    }

    /** @return the width of one virtual token's prefix row: {@code num_layers · 2 · token_dim} */
    public int prefixWidth() {
        return numLayers() * 2 * tokenDim();
    }

    @Override
    public void validate() {
        super.validate();
        if (initWeights != null && !INIT_ZERO.equals(initWeights)) {
            throw new PeftConfigException("init_weights must be null or \"zero\", got \"" + initWeights + "\"");
        }
        positiveOrNull("encoder_hidden_size", encoderHiddenSize);
        if (tokenDim() != null && numAttentionHeads() != null && tokenDim() % numAttentionHeads() != 0) {
            throw new PeftConfigException("token_dim " + tokenDim() + " must be a multiple of num_attention_heads "
                    + numAttentionHeads() + ": the prefix is split into heads of token_dim / num_attention_heads");
        }
    }

    @Override
    protected void complete(PromptLearningModel model) {
        rewriteSizes(model.headDim() * model.numKeyValueHeads(), model.numKeyValueHeads());
        if (encoderHiddenSize == null) {
            encoderHiddenSize = tokenDim();
        }
    }

    @Override
    protected void checkFits(PromptLearningModel model) {
        super.checkFits(model);
        if (numLayers() != model.numLayers()) {
            throw new PeftCompatibilityException("num_layers " + numLayers() + " does not fit the model: a prefix is"
                    + " needed for each of its " + model.numLayers() + " layers");
        }
    }

    /** @return a builder holding PEFT's defaults */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds {@link PrefixTuningConfig}s. */
    public static final class Builder extends PromptLearningConfig.Builder<PrefixTuningConfig, Builder> {

        Builder() {
            super(new PrefixTuningConfig());
        }

        /**
         * @param projection whether to train the prefix through an MLP (saved as its output)
         * @return this builder
         */
        public Builder prefixProjection(boolean projection) {
            config.prefixProjection = projection;
            return this;
        }

        /**
         * @param size the projection's hidden width; {@code null} takes {@code token_dim}
         * @return this builder
         */
        public Builder encoderHiddenSize(Integer size) {
            config.encoderHiddenSize = size;
            return this;
        }

        /**
         * @param init {@code null} for random, {@code "zero"} to start from a zero prefix
         * @return this builder
         */
        public Builder initWeights(String init) {
            config.initWeights = init;
            return this;
        }
    }
}
