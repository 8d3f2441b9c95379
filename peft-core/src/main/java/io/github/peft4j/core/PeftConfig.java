package io.github.peft4j.core;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.JsonAutoDetect.Visibility;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Map;

/**
 * The fields every adapter configuration shares, with Hugging Face PEFT's JSON names
 * ({@code peft_type}, {@code task_type}, {@code base_model_name_or_path}, {@code revision},
 * {@code inference_mode}, {@code auto_mapping}). Each tuner extends it with its own fields and a
 * builder; instances are immutable once built.
 *
 * <p>JSON is read and written by {@link io.github.peft4j.core.io.AdapterConfigJson}: snake_case
 * field names, unknown keys tolerated with a warning, files written as PEFT writes them.
 *
 * <pre>{@code
 * PeftConfig config = LoraConfig.builder().r(8).loraAlpha(16).targetModules("q_proj", "v_proj").build();
 * String type = config.peftType(); // "LORA"
 * }</pre>
 */
@JsonAutoDetect(
        fieldVisibility = Visibility.ANY,
        getterVisibility = Visibility.NONE,
        isGetterVisibility = Visibility.NONE,
        setterVisibility = Visibility.NONE)
public abstract class PeftConfig implements Cloneable {

    @JsonProperty("task_type")
    private String taskType;

    @JsonProperty("base_model_name_or_path")
    private String baseModelNameOrPath;

    @JsonProperty("revision")
    private String revision;

    @JsonProperty("inference_mode")
    private boolean inferenceMode;

    @JsonProperty("auto_mapping")
    private Map<String, String> autoMapping;

    /** For Jackson and subclasses; configs are made with builders. */
    protected PeftConfig() {}

    /** @return the {@code peft_type} this configuration belongs to, e.g. {@code "LORA"} */
    @JsonProperty("peft_type")
    public abstract String peftType();

    /** @return the task type ({@code CAUSAL_LM}, {@code SEQ_CLS}, ...), or {@code null} */
    public String taskType() {
        return taskType;
    }

    /** @return the base model's name or path recorded with the adapter, or {@code null} */
    public String baseModelNameOrPath() {
        return baseModelNameOrPath;
    }

    /** @return the base model revision, or {@code null} */
    public String revision() {
        return revision;
    }

    /** @return whether the adapter was saved or loaded for inference only */
    public boolean inferenceMode() {
        return inferenceMode;
    }

    /** @return PEFT's {@code auto_mapping}, or {@code null} */
    public Map<String, String> autoMapping() {
        return autoMapping;
    }

    /**
     * Checks the fields together, as PEFT's {@code __post_init__} does. Called by builders and
     * after reading a file.
     *
     * @throws PeftConfigException naming the field at fault
     */
    public void validate() {}

    /**
     * The sizes this config makes the tuner allocate by ({@code r}, {@code num_virtual_tokens},
     * {@code bottleneck_size}, ...), keyed by JSON field. Loading checks each against the tensors
     * file's header before anything is allocated: a saved adapter holds a tensor that large.
     * The default declares none.
     *
     * <pre>{@code
     * LoraConfig.builder().r(8).build().declaredSizes(); // {r=8}
     * }</pre>
     *
     * @return JSON field to size, for the fields that are set
     */
    public Map<String, Long> declaredSizes() {
        return Map.of();
    }

    /**
     * @param inference the new {@code inference_mode}
     * @return a copy with that flag (PEFT writes {@code true} into saved files)
     */
    public PeftConfig withInferenceMode(boolean inference) {
        PeftConfig copy = copy();
        copy.inferenceMode = inference;
        return copy;
    }

    /**
     * @param nameOrPath the base model's name or path
     * @return a copy recording it
     */
    public PeftConfig withBaseModelNameOrPath(String nameOrPath) {
        PeftConfig copy = copy();
        copy.baseModelNameOrPath = nameOrPath;
        return copy;
    }

    /** @return a shallow copy; every field holds an immutable value */
    protected PeftConfig copy() {
        try {
            return (PeftConfig) super.clone();
        } catch (CloneNotSupportedException e) {
            throw new AssertionError(e);
        }
    }

    /**
     * The setters shared by every tuner's builder. A builder fills a fresh config and hands out
     * validated copies, so one builder can make several configs.
     *
     * @param <C> the config type
     * @param <B> the concrete builder type
     */
    public abstract static class Builder<C extends PeftConfig, B extends Builder<C, B>> {

        /** The config being filled. */
        protected final C config;

        /** @param empty a config holding the defaults */
        protected Builder(C empty) {
            this.config = empty;
        }

        /** @return this builder, typed */
        @SuppressWarnings("unchecked")
        protected final B self() {
            return (B) this;
        }

        /**
         * @param taskType {@code CAUSAL_LM}, {@code SEQ_CLS}, ... or {@code null}
         * @return this builder
         */
        public B taskType(String taskType) {
            ((PeftConfig) config).taskType = taskType;
            return self();
        }

        /**
         * @param nameOrPath the base model's name or path
         * @return this builder
         */
        public B baseModelNameOrPath(String nameOrPath) {
            ((PeftConfig) config).baseModelNameOrPath = nameOrPath;
            return self();
        }

        /**
         * @param revision the base model revision
         * @return this builder
         */
        public B revision(String revision) {
            ((PeftConfig) config).revision = revision;
            return self();
        }

        /**
         * @param inferenceMode whether the adapter is for inference only
         * @return this builder
         */
        public B inferenceMode(boolean inferenceMode) {
            ((PeftConfig) config).inferenceMode = inferenceMode;
            return self();
        }

        /**
         * @return a validated, independent config
         * @throws PeftConfigException naming the field at fault
         */
        @SuppressWarnings("unchecked")
        public C build() {
            C built = (C) ((PeftConfig) config).copy();
            built.validate();
            return built;
        }
    }
}
