package io.github.peft4j.prefix.ptuning;

/**
 * The network P-tuning trains its virtual tokens through, PEFT's
 * {@code PromptEncoderReparameterizationType} (written to JSON as the constant's name).
 *
 * <pre>{@code
 * PromptEncoderConfig.builder().numVirtualTokens(20)
 *         .encoderReparameterizationType(PromptEncoderReparameterizationType.LSTM).build();
 * }</pre>
 */
public enum PromptEncoderReparameterizationType {
    /** Linear → ReLU → Linear → ReLU → Linear (PEFT's recommendation). */
    MLP,
    /** A bidirectional LSTM of {@code encoder_num_layers} layers, then Linear → ReLU → Linear. */
    LSTM
}
