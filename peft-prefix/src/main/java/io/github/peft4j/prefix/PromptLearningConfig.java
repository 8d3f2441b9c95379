package io.github.peft4j.prefix;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.github.peft4j.core.ModulesToSave;
import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.core.PeftConfig;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.hooks.PromptLearningModel;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The fields every prompt-learning config shares, Hugging Face PEFT's {@code PromptLearningConfig}:
 * {@code num_virtual_tokens}, {@code token_dim}, {@code num_transformer_submodules},
 * {@code num_attention_heads}, {@code num_layers} and {@code modules_to_save} (modules trained in
 * full beside the prompt, a classifier head for {@code SEQ_CLS}; core's {@link ModulesToSave}). Only
 * {@code num_virtual_tokens} is required; the sizes left {@code null} are read from the base model
 * when the adapter is added ({@link #prepareFor}), and the completed config is the one saved.
 *
 * <pre>{@code
 * PromptTuningConfig config = PromptTuningConfig.builder().numVirtualTokens(20).build();
 * PeftModel model = PeftModel.create(base, config);
 * ((PromptLearningConfig) model.config("default")).tokenDim(); // the model's hidden size
 * }</pre>
 */
public abstract class PromptLearningConfig extends PeftConfig implements ModulesToSave {

    @JsonProperty("num_virtual_tokens")
    private Integer numVirtualTokens;

    @JsonProperty("token_dim")
    private Integer tokenDim;

    @JsonProperty("num_transformer_submodules")
    private Integer numTransformerSubmodules;

    @JsonProperty("num_attention_heads")
    private Integer numAttentionHeads;

    @JsonProperty("num_layers")
    private Integer numLayers;

    @JsonProperty("modules_to_save")
    private List<String> modulesToSave;

    /** For Jackson and subclasses. */
    protected PromptLearningConfig() {}

    /** @return the number of virtual tokens, or {@code null} while unset */
    public Integer numVirtualTokens() {
        return numVirtualTokens;
    }

    /** @return the width of one virtual token, or {@code null} until filled from the model */
    public Integer tokenDim() {
        return tokenDim;
    }

    /** @return 1 for decoder-only and encoder-only models, 2 for encoder-decoder; {@code null} until filled */
    public Integer numTransformerSubmodules() {
        return numTransformerSubmodules;
    }

    /** @return the number of attention heads (key/value heads for prefix tuning), or {@code null} until filled */
    public Integer numAttentionHeads() {
        return numAttentionHeads;
    }

    /** @return the number of transformer layers, or {@code null} until filled */
    public Integer numLayers() {
        return numLayers;
    }

    /** @return PEFT's {@code modules_to_save}, or {@code null} */
    @Override
    public List<String> modulesToSave() {
        return modulesToSave;
    }

    /**
     * @return the prompt table's rows ({@code num_virtual_tokens · num_transformer_submodules}),
     *     {@code token_dim}, {@code num_layers} and {@code num_attention_heads}, where set
     */
    @Override
    public Map<String, Long> declaredSizes() {
        Map<String, Long> sizes = new LinkedHashMap<>();
        if (numVirtualTokens != null) {
            long submodules = numTransformerSubmodules == null ? 1 : numTransformerSubmodules;
            sizes.put("num_virtual_tokens", numVirtualTokens * submodules);
        }
        putIfSet(sizes, "token_dim", tokenDim);
        putIfSet(sizes, "num_layers", numLayers);
        putIfSet(sizes, "num_attention_heads", numAttentionHeads);
        return sizes;
    }

    /**
     * @param sizes the sizes declared so far
     * @param field a JSON field
     * @param value its value, or {@code null}
     */
    protected static void putIfSet(Map<String, Long> sizes, String field, Integer value) {
        if (value != null) {
            sizes.put(field, (long) value);
        }
    }

    /** @return the number of rows of the prompt table: {@code num_virtual_tokens · num_transformer_submodules} */
    public int totalVirtualTokens() {
        return numVirtualTokens * (numTransformerSubmodules == null ? 1 : numTransformerSubmodules);
    }

    /**
     * @return the positions the adapter prepends to the model's sequence (and to its outputs): the
     *     virtual tokens of prompt tuning and P-tuning; prefix tuning overrides it with 0, its prefix
     *     lives in the attention layers
     */
    public int prependedPositions() {
        return totalVirtualTokens();
    }

    @Override
    public void validate() {
        if (numVirtualTokens == null || numVirtualTokens <= 0) {
            throw new PeftConfigException("num_virtual_tokens must be set to a number > 0, got " + numVirtualTokens);
        }
        positiveOrNull("token_dim", tokenDim);
        positiveOrNull("num_transformer_submodules", numTransformerSubmodules);
        positiveOrNull("num_attention_heads", numAttentionHeads);
        positiveOrNull("num_layers", numLayers);
    }

    /**
     * @param field a JSON field name, for the message
     * @param value its value
     * @throws PeftConfigException if the value is set and not positive
     */
    protected static void positiveOrNull(String field, Integer value) {
        if (value != null && value <= 0) {
            throw new PeftConfigException(field + " must be > 0 (or null to take it from the model), got " + value);
        }
    }

    /**
     * PEFT's {@code _prepare_prompt_learning_config}: a copy with the sizes left {@code null} taken
     * from {@code model} ({@code num_layers}, {@code token_dim} = hidden size,
     * {@code num_attention_heads}, {@code num_transformer_submodules} = 1) and the method's own
     * completions ({@link #complete}). Sizes that were set and do not fit the model are an error.
     *
     * @param model the base model
     * @return the completed config
     * @throws PeftCompatibilityException if a set size contradicts the model
     */
    public PromptLearningConfig prepareFor(PromptLearningModel model) {
        PromptLearningConfig c = (PromptLearningConfig) copy();
        if (c.numLayers == null) {
            c.numLayers = model.numLayers();
        }
        if (c.tokenDim == null) {
            c.tokenDim = model.hiddenSize();
        }
        if (c.numAttentionHeads == null) {
            c.numAttentionHeads = model.numAttentionHeads();
        }
        if (c.numTransformerSubmodules == null) {
            c.numTransformerSubmodules = 1;
        }
        c.complete(model);
        c.checkFits(model);
        return c;
    }

    /**
     * Method-specific completion of a copy being prepared (the GQA rewrite of prefix tuning, the
     * encoder width); the shared sizes are already filled.
     *
     * @param model the base model
     */
    protected void complete(PromptLearningModel model) {}

    /**
     * Checks the completed sizes against the model, so that a mismatch is reported here rather
     * than as a failed concatenation deep inside the model.
     *
     * @param model the base model
     */
    protected void checkFits(PromptLearningModel model) {
        if (numTransformerSubmodules != 1) {
            throw new PeftCompatibilityException("num_transformer_submodules is " + numTransformerSubmodules
                    + " (an encoder-decoder setup); peft4j's models are decoder-only or encoder-only and need 1");
        }
        // virtual tokens are prepended to the input embeddings, so they must be as wide
        if (prependedPositions() > 0 && tokenDim() != model.hiddenSize()) {
            throw new PeftCompatibilityException("token_dim " + tokenDim() + " does not fit the model: virtual tokens"
                    + " are prepended to the input embeddings, so token_dim must be the hidden size "
                    + model.hiddenSize());
        }
    }

    /**
     * Sets the sizes a subclass's {@link #complete} rewrites.
     *
     * @param tokenDim the new {@code token_dim}
     * @param numAttentionHeads the new {@code num_attention_heads}
     */
    protected final void rewriteSizes(int tokenDim, int numAttentionHeads) {
        this.tokenDim = tokenDim;
        this.numAttentionHeads = numAttentionHeads;
    }

    /**
     * The setters every prompt-learning builder shares.
     *
     * @param <C> the config type
     * @param <B> the concrete builder type
     */
    public abstract static class Builder<C extends PromptLearningConfig, B extends Builder<C, B>>
            extends PeftConfig.Builder<C, B> {

        /** @param empty a config holding the defaults */
        protected Builder(C empty) {
            super(empty);
        }

        private PromptLearningConfig target() {
            return config;
        }

        /**
         * @param n the number of virtual tokens (required)
         * @return this builder
         */
        public B numVirtualTokens(int n) {
            target().numVirtualTokens = n;
            return self();
        }

        /**
         * @param tokenDim the width of one virtual token; {@code null} takes the model's
         * @return this builder
         */
        public B tokenDim(Integer tokenDim) {
            target().tokenDim = tokenDim;
            return self();
        }

        /**
         * @param n 1 for decoder-only and encoder-only models; {@code null} fills 1
         * @return this builder
         */
        public B numTransformerSubmodules(Integer n) {
            target().numTransformerSubmodules = n;
            return self();
        }

        /**
         * @param n the number of attention heads; {@code null} takes the model's
         * @return this builder
         */
        public B numAttentionHeads(Integer n) {
            target().numAttentionHeads = n;
            return self();
        }

        /**
         * @param n the number of layers; {@code null} takes the model's
         * @return this builder
         */
        public B numLayers(Integer n) {
            target().numLayers = n;
            return self();
        }

        /**
         * @param modules PEFT's {@code modules_to_save}: modules trained in full, one copy per adapter
         * @return this builder
         */
        public B modulesToSave(List<String> modules) {
            target().modulesToSave = modules == null ? null : List.copyOf(modules);
            return self();
        }
    }
}
