package io.github.peft4j.prefix.prompttuning;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.hooks.PromptLearningModel;
import io.github.peft4j.prefix.BasePromptEncoder;

/**
 * PEFT's {@code PromptEmbedding} for prompt tuning: a table of
 * [num_virtual_tokens·num_transformer_submodules, token_dim], initialised by
 * {@code prompt_tuning_init}. Adapters in inference mode start random: their values come from the file.
 */
final class PromptEmbedding extends BasePromptEncoder {

    PromptEmbedding(PromptTuningConfig config, PromptLearningModel model, NDManager manager) {
        int rows = config.totalVirtualTokens();
        NDArray table;
        if (config.inferenceMode() || config.promptTuningInit() == PromptTuningInit.RANDOM) {
            table = manager.randomNormal(new Shape(rows, config.tokenDim()));
        } else {
            try (NDManager scratch = manager.newSubManager()) {
                long vocabSize = model.wordEmbeddings().getArray().getShape().get(0);
                NDArray ids = config.promptTuningInit() == PromptTuningInit.TEXT
                        ? scratch.create(textIds(config, rows, vocabSize))
                        : scratch.randomInteger(0, vocabSize, new Shape(rows), DataType.INT64);
                NDArray vocab = model.wordEmbeddings().getArray();
                ids = ids.toDevice(vocab.getDevice(), false);
                table = ids.getNDArrayInternal().embedding(ids, vocab, SparseFormat.DENSE).singletonOrThrow()
                        .stopGradient()
                        .toType(DataType.FLOAT32, true)
                        .toDevice(manager.getDevice(), true);
                table.attach(manager);
            }
        }
        add(EMBEDDING, table);
    }

    /** The init text's ids, truncated, or repeated and truncated, to {@code rows}, as PEFT does. */
    static long[] textIds(PromptTuningConfig config, int rows, long vocabSize) {
        PromptInitTokenizer tokenizer = config.initTokenizer();
        if (tokenizer == null) {
            throw new PeftConfigException("prompt_tuning_init TEXT needs the token ids of prompt_tuning_init_text:"
                    + " give the config a tokenizer with PromptTuningConfig.Builder.initTokenizer(...) or"
                    + " withInitTokenizer(...) (for example the base model's HuggingFaceTokenizer for '"
                    + config.tokenizerNameOrPath() + "')");
        }
        long[] ids = tokenizer.encode(config.promptTuningInitText());
        if (ids == null || ids.length == 0) {
            throw new PeftConfigException("the tokenizer returned no token ids for prompt_tuning_init_text \""
                    + config.promptTuningInitText() + "\"");
        }
        for (long id : ids) {
            if (id < 0 || id >= vocabSize) {
                throw new PeftConfigException("the tokenizer returned token id " + id + " for prompt_tuning_init_text,"
                        + " outside the model's vocabulary of " + vocabSize + " tokens: is it the model's tokenizer?");
            }
        }
        long[] out = new long[rows];
        for (int i = 0; i < rows; i++) {
            out[i] = ids[i % ids.length];
        }
        return out;
    }

    @Override
    protected boolean reparameterized() {
        return false;
    }

}
