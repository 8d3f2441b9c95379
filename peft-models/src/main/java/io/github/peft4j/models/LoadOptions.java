package io.github.peft4j.models;

import io.github.peft4j.core.module.LinearTransform;
import java.util.Objects;

/**
 * How {@link HfModels#load(java.nio.file.Path, ai.djl.ndarray.NDManager, LoadOptions)} builds a model:
 * the seed of weights the checkpoint lacks, and a {@link LinearTransform} applied to each linear
 * layer as soon as it is read (for example {@code Quantizer.atLoad(...)} from peft-quant).
 *
 * <pre>{@code
 * LoadOptions options = LoadOptions.builder().linearTransform(Quantizer.atLoad(nf4)).build();
 * PretrainedModel model = HfModels.load(dir, manager, options);
 * }</pre>
 */
public final class LoadOptions {

    private static final LoadOptions DEFAULTS = builder().build();

    private final long headSeed;
    private final LinearTransform linearTransform;
    private final String architecture;

    private LoadOptions(Builder b) {
        this.headSeed = b.headSeed;
        this.linearTransform = b.linearTransform;
        this.architecture = b.architecture;
    }

    /** @return no transform, head seed 0 */
    public static LoadOptions defaults() {
        return DEFAULTS;
    }

    /** @return a builder with the defaults */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the seed of weights the checkpoint lacks (BERT's {@code classifier}) */
    public long headSeed() {
        return headSeed;
    }

    /** @return the transform of linear layers, {@link LinearTransform#IDENTITY} if none */
    public LinearTransform linearTransform() {
        return linearTransform;
    }

    /** @return the transformers class to build, or {@code null} for the configuration's own */
    public String architecture() {
        return architecture;
    }

    /** Builds {@link LoadOptions}. */
    public static final class Builder {
        private long headSeed;
        private LinearTransform linearTransform = LinearTransform.IDENTITY;
        private String architecture;

        private Builder() {}

        /**
         * @param seed the seed of weights the checkpoint lacks
         * @return this builder
         */
        public Builder headSeed(long seed) {
            this.headSeed = seed;
            return this;
        }

        /**
         * @param transform called for each linear layer right after it is read; the loader puts the
         *     block it returns in the layer's place and closes the F32 weight it replaced
         * @return this builder
         */
        public Builder linearTransform(LinearTransform transform) {
            this.linearTransform = Objects.requireNonNull(transform, "transform");
            return this;
        }

        /**
         * Picks the head as transformers' {@code XForY.from_pretrained} does: {@code BertForMaskedLM}
         * or {@code BertLMHeadModel} load a BERT checkpoint's {@code cls.*} weights, which the
         * default {@code BertForSequenceClassification} reports as unused.
         *
         * @param className a transformers class name, or {@code null} for the configuration's own
         * @return this builder
         */
        public Builder architecture(String className) {
            this.architecture = className;
            return this;
        }

        /** @return the options */
        public LoadOptions build() {
            return new LoadOptions(this);
        }
    }
}
