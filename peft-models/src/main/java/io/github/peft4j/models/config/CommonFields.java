package io.github.peft4j.models.config;

/**
 * The settings every {@link ModelConfig} answers, whatever the architecture's {@code config.json}
 * calls them ({@link AttributeKeys}); each architecture reads them with its own keys and defaults.
 *
 * <pre>{@code
 * super(json, source, bos, eos, f -> new CommonFields(f.requiredPositiveInt("vocab_size", 50257), ...));
 * }</pre>
 */
record CommonFields(int vocabSize, int hiddenSize, int numLayers, int numAttentionHeads, int intermediateSize,
        int maxPositionEmbeddings, String hiddenAct, double initializerRange, boolean tieWordEmbeddings) {}
