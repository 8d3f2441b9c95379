package io.github.peft4j.cli;

import ai.djl.ndarray.NDManager;
import io.github.peft4j.models.HfModels;
import io.github.peft4j.models.PretrainedModel;
import io.github.peft4j.models.tokenizer.HfTokenizer;
import java.nio.file.Path;

/** Loads the base checkpoint a command works on, turning the usual mistakes into one-line errors. */
final class BaseModels {

    /** The model peft4j ships, relative to the repository root. */
    static final Path BUNDLED = Path.of("assets/base-model");

    private BaseModels() {}

    /**
     * @param dir an HF checkpoint directory with {@code config.json}, weights and a tokenizer
     * @param manager the manager that owns the weights
     * @return the loaded causal language model
     */
    static PretrainedModel loadCausalLm(Path dir, NDManager manager) {
        return loadCausalLm(dir, manager, true);
    }

    /**
     * @param dir an HF checkpoint directory with {@code config.json} and weights
     * @param manager the manager that owns the weights
     * @param needsTokenizer whether the command tokenizes ({@code merge} does not)
     * @return the loaded causal language model
     */
    static PretrainedModel loadCausalLm(Path dir, NDManager manager, boolean needsTokenizer) {
        Inputs.requireDir(dir, "model directory");
        Inputs.requireFile(dir.resolve("config.json"), "model config");
        if (needsTokenizer && !HfTokenizer.presentIn(dir)) {
            throw new UserError("model directory " + dir + " has no tokenizer: peft4j reads tokenizer.json, or"
                    + " vocab.json + merges.txt");
        }
        PretrainedModel model = HfModels.load(dir, manager);
        if (!model.config().isCausalLm()) {
            String type = model.config().modelType();
            model.close();
            throw new UserError("model " + dir + " is a " + type + " model without a language-model head;"
                    + " train and generate need a causal LM (llama, mistral, qwen2, gpt2)");
        }
        return model;
    }
}
