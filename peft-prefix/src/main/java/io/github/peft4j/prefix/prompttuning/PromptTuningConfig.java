package io.github.peft4j.prefix.prompttuning;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.prefix.PromptLearningConfig;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Prompt tuning (Lester et al.), PEFT's {@code PromptTuningConfig}: {@code num_virtual_tokens}
 * trainable embeddings prepended to the input embeddings. Fields and defaults as in PEFT:
 * {@code prompt_tuning_init} ({@code RANDOM}), {@code prompt_tuning_init_text},
 * {@code tokenizer_name_or_path}, {@code tokenizer_kwargs}.
 *
 * <pre>{@code
 * PromptTuningConfig config = PromptTuningConfig.builder()
 *         .numVirtualTokens(20)
 *         .promptTuningInit(PromptTuningInit.SAMPLE_VOCAB)
 *         .taskType("CAUSAL_LM")
 *         .build();
 * PeftModel model = PeftModel.create(llama, config);
 * }</pre>
 */
public final class PromptTuningConfig extends PromptLearningConfig {

    /** The {@code peft_type}. */
    public static final String PEFT_TYPE = "PROMPT_TUNING";

    @JsonProperty("prompt_tuning_init")
    private PromptTuningInit promptTuningInit = PromptTuningInit.RANDOM;

    @JsonProperty("prompt_tuning_init_text")
    private String promptTuningInitText;

    @JsonProperty("tokenizer_name_or_path")
    private String tokenizerNameOrPath;

    @JsonProperty("tokenizer_kwargs")
    private Map<String, Object> tokenizerKwargs;

    /** Not part of the file: how to tokenise the init text in this JVM. */
    @JsonIgnore
    private transient PromptInitTokenizer initTokenizer;

    private PromptTuningConfig() {}

    @Override
    public String peftType() {
        return PEFT_TYPE;
    }

    /** @return how the virtual tokens are initialised */
    public PromptTuningInit promptTuningInit() {
        return promptTuningInit;
    }

    /** @return the init text for {@link PromptTuningInit#TEXT}, or {@code null} */
    public String promptTuningInitText() {
        return promptTuningInitText;
    }

    /** @return the tokenizer recorded for {@link PromptTuningInit#TEXT}, or {@code null} */
    public String tokenizerNameOrPath() {
        return tokenizerNameOrPath;
    }

    /** @return PEFT's {@code tokenizer_kwargs}, or {@code null} */
    public Map<String, Object> tokenizerKwargs() {
        return tokenizerKwargs;
    }

    /** @return the tokenizer that turns the init text into ids, or {@code null} */
    public PromptInitTokenizer initTokenizer() {
        return initTokenizer;
    }

    /**
     * For configs read from a file: a copy that tokenises the init text with {@code tokenizer}.
     *
     * @param tokenizer the tokenizer of the base model
     * @return the copy
     */
    public PromptTuningConfig withInitTokenizer(PromptInitTokenizer tokenizer) {
        PromptTuningConfig c = (PromptTuningConfig) copy();
        c.initTokenizer = tokenizer;
        return c;
    }

    @Override
    public void validate() {
        super.validate();
        if (promptTuningInit == null) {
            throw new PeftConfigException("prompt_tuning_init must be one of RANDOM, TEXT, SAMPLE_VOCAB, got null");
        }
        if (promptTuningInit == PromptTuningInit.TEXT) {
            if (tokenizerNameOrPath == null || tokenizerNameOrPath.isEmpty()) {
                throw new PeftConfigException("When prompt_tuning_init='TEXT', tokenizer_name_or_path can't be "
                        + tokenizerNameOrPath + " (PEFT requires it to load the adapter)");
            }
            if (promptTuningInitText == null) {
                throw new PeftConfigException("When prompt_tuning_init='TEXT', prompt_tuning_init_text can't be null");
            }
        }
        if (tokenizerKwargs != null && !tokenizerKwargs.isEmpty() && promptTuningInit != PromptTuningInit.TEXT) {
            throw new PeftConfigException("tokenizer_kwargs only valid when using prompt_tuning_init='TEXT'");
        }
    }

    /** @return a builder holding PEFT's defaults */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds {@link PromptTuningConfig}s. */
    public static final class Builder extends PromptLearningConfig.Builder<PromptTuningConfig, Builder> {

        Builder() {
            super(new PromptTuningConfig());
        }

        /**
         * @param init how to initialise the virtual tokens
         * @return this builder
         */
        public Builder promptTuningInit(PromptTuningInit init) {
            config.promptTuningInit = init;
            return this;
        }

        /**
         * @param text the text whose embeddings initialise the virtual tokens ({@link PromptTuningInit#TEXT})
         * @return this builder
         */
        public Builder promptTuningInitText(String text) {
            config.promptTuningInitText = text;
            return this;
        }

        /**
         * @param nameOrPath the tokenizer recorded in the file (PEFT requires it with {@link PromptTuningInit#TEXT})
         * @return this builder
         */
        public Builder tokenizerNameOrPath(String nameOrPath) {
            config.tokenizerNameOrPath = nameOrPath;
            return this;
        }

        /**
         * @param kwargs PEFT's {@code tokenizer_kwargs}, recorded in the file
         * @return this builder
         */
        public Builder tokenizerKwargs(Map<String, Object> kwargs) {
            config.tokenizerKwargs = kwargs == null ? null : Collections.unmodifiableMap(new LinkedHashMap<>(kwargs));
            return this;
        }

        /**
         * @param tokenizer turns the init text into token ids in this JVM (not saved)
         * @return this builder
         */
        public Builder initTokenizer(PromptInitTokenizer tokenizer) {
            config.initTokenizer = tokenizer;
            return this;
        }
    }
}
