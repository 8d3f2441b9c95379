package io.github.peft4j.core.hooks;

import ai.djl.nn.Parameter;

/**
 * A model that prompt methods can drive: it reports the sizes PEFT's prompt-learning configs need
 * ({@code num_layers}, {@code token_dim}, {@code num_attention_heads}, key/value heads) and honours
 * {@link VirtualTokens} and {@link PrefixKeyValues} found in the {@link ForwardContext}.
 *
 * <pre>{@code
 * PromptLearningModel m = (PromptLearningModel) base;
 * int prefixWidth = m.numLayers() * 2 * m.headDim() * m.numKeyValueHeads();
 * }</pre>
 */
public interface PromptLearningModel extends BaseModelInfo {

    /** @return the number of transformer layers */
    int numLayers();

    /** @return the hidden size ({@code token_dim} for prompt tuning) */
    int hiddenSize();

    /** @return the number of query heads */
    int numAttentionHeads();

    /** @return the number of key/value heads (equal to the query heads without GQA) */
    default int numKeyValueHeads() {
        return numAttentionHeads();
    }

    /** @return the size of one head */
    default int headDim() {
        return hiddenSize() / numAttentionHeads();
    }

    /** @return the input word-embedding matrix, [vocab, hidden] (for text and vocabulary init) */
    Parameter wordEmbeddings();
}
