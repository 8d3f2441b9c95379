package io.github.peft4j.models;

import ai.djl.nn.Block;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.hooks.PromptLearningModel;
import java.util.Optional;

/**
 * A causal language model block: input {@code NDList(input_ids [B, T] INT64, optional
 * attention_mask [B, T])}, output {@code NDList(logits [B, T, vocab] F32)}. It honours
 * {@code VirtualTokens}, {@code PrefixKeyValues} and {@link io.github.peft4j.models.generation.KvCache}
 * found in the {@code ForwardContext}.
 *
 * <pre>{@code
 * CausalLM lm = CausalLM.find(peftModel).orElseThrow();
 * int vocab = lm.vocabSize();
 * }</pre>
 */
public interface CausalLM extends HfModel, PromptLearningModel {

    /** @return the vocabulary size (the last axis of the logits) */
    default int vocabSize() {
        return config().vocabSize();
    }

    @Override
    default int numLayers() {
        return config().numLayers();
    }

    @Override
    default int hiddenSize() {
        return config().hiddenSize();
    }

    @Override
    default int numAttentionHeads() {
        return config().numAttentionHeads();
    }

    @Override
    default int numKeyValueHeads() {
        return config().numKeyValueHeads();
    }

    @Override
    default int headDim() {
        return config().headDim();
    }

    /** @return the longest sequence its positions cover */
    default int maxPositionEmbeddings() {
        return config().maxPositionEmbeddings();
    }

    /**
     * The causal LM inside a block: the block itself, or the base model of a {@link PeftModel}.
     *
     * @param block a model block
     * @return the causal LM, if there is one
     */
    static Optional<CausalLM> find(Block block) {
        if (block instanceof CausalLM lm) {
            return Optional.of(lm);
        }
        if (block instanceof PeftModel peft) {
            return find(peft.baseModel());
        }
        return Optional.empty();
    }
}
