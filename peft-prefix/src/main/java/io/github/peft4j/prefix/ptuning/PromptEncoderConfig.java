package io.github.peft4j.prefix.ptuning;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.hooks.PromptLearningModel;
import io.github.peft4j.prefix.PromptLearningConfig;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * P-tuning (Liu et al.), PEFT's {@code PromptEncoderConfig}: virtual-token embeddings produced by a
 * trainable prompt encoder. Fields and defaults as in PEFT: {@code encoder_reparameterization_type}
 * ({@code MLP}), {@code encoder_hidden_size} ({@code null} → {@code token_dim}),
 * {@code encoder_num_layers} (2; LSTM only) and {@code encoder_dropout} (0.0; between LSTM layers).
 * Only the encoder's output is saved, as {@code prompt_embeddings}.
 *
 * <pre>{@code
 * PromptEncoderConfig config = PromptEncoderConfig.builder()
 *         .numVirtualTokens(20)
 *         .encoderHiddenSize(128)
 *         .taskType("CAUSAL_LM")
 *         .build();
 * PeftModel model = PeftModel.create(gpt2, config);
 * }</pre>
 */
public final class PromptEncoderConfig extends PromptLearningConfig {

    /** The {@code peft_type}. */
    public static final String PEFT_TYPE = "P_TUNING";

    /** PEFT's default {@code encoder_num_layers}, the only MLP depth. */
    public static final int DEFAULT_ENCODER_NUM_LAYERS = 2;

    @JsonProperty("encoder_reparameterization_type")
    private PromptEncoderReparameterizationType encoderReparameterizationType =
            PromptEncoderReparameterizationType.MLP;

    @JsonProperty("encoder_hidden_size")
    private Integer encoderHiddenSize;

    @JsonProperty("encoder_num_layers")
    private int encoderNumLayers = DEFAULT_ENCODER_NUM_LAYERS;

    @JsonProperty("encoder_dropout")
    private double encoderDropout;

    private PromptEncoderConfig() {}

    @Override
    public String peftType() {
        return PEFT_TYPE;
    }

    /** @return the encoder network */
    public PromptEncoderReparameterizationType encoderReparameterizationType() {
        return encoderReparameterizationType;
    }

    /** @return the encoder's hidden width, or {@code null} until filled with {@code token_dim} */
    public Integer encoderHiddenSize() {
        return encoderHiddenSize;
    }

    /** @return the prompt learning sizes and {@code encoder_hidden_size} */
    @Override
    public Map<String, Long> declaredSizes() {
        Map<String, Long> sizes = new LinkedHashMap<>(super.declaredSizes());
        putIfSet(sizes, "encoder_hidden_size", encoderHiddenSize);
        return sizes;
    }

    /** @return the number of LSTM layers (ignored by the MLP) */
    public int encoderNumLayers() {
        return encoderNumLayers;
    }

    /** @return the dropout between LSTM layers while training */
    public double encoderDropout() {
        return encoderDropout;
    }

    @Override
    public void validate() {
        super.validate();
        if (encoderReparameterizationType == null) {
            throw new PeftConfigException("encoder_reparameterization_type must be MLP or LSTM, got null");
        }
        positiveOrNull("encoder_hidden_size", encoderHiddenSize);
        if (encoderNumLayers <= 0) {
            throw new PeftConfigException("encoder_num_layers must be > 0, got " + encoderNumLayers);
        }
        if (!(encoderDropout >= 0 && encoderDropout < 1)) {
            throw new PeftConfigException("encoder_dropout must be in [0, 1), got " + encoderDropout);
        }
    }

    @Override
    protected void complete(PromptLearningModel model) {
        if (encoderHiddenSize == null) {
            encoderHiddenSize = tokenDim();
        }
    }

    /** @return a builder holding PEFT's defaults */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds {@link PromptEncoderConfig}s. */
    public static final class Builder extends PromptLearningConfig.Builder<PromptEncoderConfig, Builder> {

        Builder() {
            super(new PromptEncoderConfig());
        }

        /**
         * @param type the encoder network
         * @return this builder
         */
        public Builder encoderReparameterizationType(PromptEncoderReparameterizationType type) {
            config.encoderReparameterizationType = type;
            return this;
        }

        /**
         * @param size the encoder's hidden width; {@code null} takes {@code token_dim}
         * @return this builder
         */
        public Builder encoderHiddenSize(Integer size) {
            config.encoderHiddenSize = size;
            return this;
        }

        /**
         * @param layers the number of LSTM layers
         * @return this builder
         */
        public Builder encoderNumLayers(int layers) {
            config.encoderNumLayers = layers;
            return this;
        }

        /**
         * @param dropout the dropout between LSTM layers while training
         * @return this builder
         */
        public Builder encoderDropout(double dropout) {
            config.encoderDropout = dropout;
            return this;
        }
    }
}
