package io.github.peft4j.models.llama;

import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.peft4j.models.config.LlamaConfig;
import io.github.peft4j.models.nn.TokenEmbedding;
import io.github.peft4j.models.nn.TokenInputBlock;

/**
 * transformers' {@code Gemma3Model} reduced to its text part: the child {@code language_model} (the
 * Gemma 3 text decoder), whose output it returns unchanged. It exists so that module paths are
 * {@code model.language_model.*}, as in {@code Gemma3ForConditionalGeneration}.
 *
 * <pre>{@code
 * Block decoder = ModuleTree.of(gemma).get("model.language_model");
 * }</pre>
 */
final class Gemma3LanguageModelHolder extends TokenInputBlock {

    private final LlamaModel decoder;
    // not final: block surgery may replace children held in fields
    private Block languageModel;

    Gemma3LanguageModelHolder(LlamaConfig config) {
        super(config.hiddenSize());
        this.decoder = new LlamaModel(config);
        this.languageModel = addIdReader("language_model", decoder);
    }

    @Override
    public TokenEmbedding tokenEmbedding() {
        return decoder.tokenEmbedding();
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return languageModel.forward(ps, inputs, training, params);
    }
}
