package io.github.peft4j.models;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.models.config.ModelConfig;
import io.github.peft4j.models.tokenizer.HfTokenizer;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A model ready to use: the initialised root block (Hugging Face module paths), its configuration,
 * its tokenizer when the directory has one, and the manager holding its weights. Closing it frees
 * the weights and the tokenizer.
 *
 * <pre>{@code
 * try (PretrainedModel gpt2 = HfModels.load(Path.of("gpt2"), manager)) {
 *     HfTokenizer tok = gpt2.tokenizer().orElseThrow();
 *     GenerationResult out = Generator.generate(gpt2.block(), List.of(tok.encode("Hello")),
 *             GenerationConfig.greedy(20));
 * }
 * }</pre>
 */
public final class PretrainedModel implements AutoCloseable {

    private final HfModel model;
    private final HfTokenizer tokenizer;
    private final Path dir;
    private final NDManager manager;
    private final LoadReport loadReport;

    PretrainedModel(HfModel model, HfTokenizer tokenizer, Path dir, NDManager manager, LoadReport loadReport) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.dir = dir;
        this.manager = manager;
        this.loadReport = loadReport;
    }

    /** @return the root DJL block, initialised with the weights */
    public Block block() {
        return model.asBlock();
    }

    /** @return the root block as a Hugging Face model */
    public HfModel model() {
        return model;
    }

    /**
     * @return the root block as a causal LM
     * @throws PeftCompatibilityException for a model that is not one (BERT)
     */
    public CausalLM causalLm() {
        if (model instanceof CausalLM lm) {
            return lm;
        }
        throw new PeftCompatibilityException(config().architecture() + " is not a causal language model");
    }

    /** @return the configuration */
    public ModelConfig config() {
        return model.config();
    }

    /** @return the tokenizer, when the directory has a {@code tokenizer.json} */
    public Optional<HfTokenizer> tokenizer() {
        return Optional.ofNullable(tokenizer);
    }

    /** @return the directory the model was loaded from; empty for a model built in code */
    public Optional<Path> dir() {
        return Optional.ofNullable(dir);
    }

    /** @return the manager that owns the weights (closed by {@link #close()}) */
    public NDManager manager() {
        return manager;
    }

    /** @return what loading found besides the expected weights */
    public LoadReport loadReport() {
        return loadReport;
    }

    /** Frees the weights and the tokenizer. */
    @Override
    public void close() {
        if (tokenizer != null) {
            tokenizer.close();
        }
        manager.close();
    }
}
