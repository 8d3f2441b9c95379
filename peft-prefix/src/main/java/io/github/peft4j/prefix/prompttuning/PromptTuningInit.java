package io.github.peft4j.prefix.prompttuning;

/**
 * How prompt tuning initialises its virtual tokens, PEFT's {@code PromptTuningInit} (written to
 * JSON as the constant's name).
 *
 * <pre>{@code
 * PromptTuningConfig.builder().numVirtualTokens(8).promptTuningInit(PromptTuningInit.SAMPLE_VOCAB).build();
 * }</pre>
 */
public enum PromptTuningInit {
    /** Continuous random vectors, N(0, 1) as {@code torch.nn.Embedding} draws them. */
    RANDOM,
    /** The word embeddings of {@code prompt_tuning_init_text}, repeated or truncated to length. */
    TEXT,
    /** The word embeddings of tokens drawn uniformly from the vocabulary. */
    SAMPLE_VOCAB
}
