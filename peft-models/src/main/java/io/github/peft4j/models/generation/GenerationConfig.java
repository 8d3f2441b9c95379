package io.github.peft4j.models.generation;

import io.github.peft4j.core.PeftConfigException;
import java.util.List;

/**
 * How {@link Generator} picks tokens, with the meaning and defaults of transformers'
 * {@code GenerationConfig}: greedy unless {@code doSample}; sampling applies temperature, then
 * top-k, then top-p (nucleus) to the logits. Generation stops at an end-of-sequence id or after
 * {@code maxNewTokens}. Ids left unset come from the model's configuration.
 *
 * <pre>{@code
 * GenerationConfig greedy = GenerationConfig.greedy(32);
 * GenerationConfig sample = GenerationConfig.builder().maxNewTokens(64).doSample(true)
 *         .temperature(0.7).topK(50).topP(0.9).seed(7).build();
 * }</pre>
 */
public final class GenerationConfig {

    private final int maxNewTokens;
    private final boolean doSample;
    private final double temperature;
    private final int topK;
    private final double topP;
    private final long seed;
    private final List<Integer> eosTokenIds;
    private final Integer padTokenId;
    private final boolean outputLogits;

    private GenerationConfig(Builder b) {
        if (b.maxNewTokens < 1) {
            throw new PeftConfigException("max_new_tokens must be >= 1, got " + b.maxNewTokens);
        }
        if (!(b.temperature > 0)) {
            throw new PeftConfigException("temperature must be > 0, got " + b.temperature);
        }
        if (b.topK < 0) {
            throw new PeftConfigException("top_k must be >= 0 (0 disables it), got " + b.topK);
        }
        if (!(b.topP > 0 && b.topP <= 1)) {
            throw new PeftConfigException("top_p must be in (0, 1], got " + b.topP);
        }
        maxNewTokens = b.maxNewTokens;
        doSample = b.doSample;
        temperature = b.temperature;
        topK = b.topK;
        topP = b.topP;
        seed = b.seed;
        eosTokenIds = b.eosTokenIds == null ? null : List.copyOf(b.eosTokenIds);
        padTokenId = b.padTokenId;
        outputLogits = b.outputLogits;
    }

    /**
     * @param maxNewTokens the most tokens to generate
     * @return greedy decoding
     */
    public static GenerationConfig greedy(int maxNewTokens) {
        return builder().maxNewTokens(maxNewTokens).build();
    }

    /** @return a builder with transformers' defaults (20 new tokens, greedy) */
    public static Builder builder() {
        return new Builder();
    }

    /** @return {@code max_new_tokens} */
    public int maxNewTokens() {
        return maxNewTokens;
    }

    /** @return {@code do_sample} */
    public boolean doSample() {
        return doSample;
    }

    /** @return {@code temperature} (sampling only) */
    public double temperature() {
        return temperature;
    }

    /** @return {@code top_k} (sampling only; 0 = off) */
    public int topK() {
        return topK;
    }

    /** @return {@code top_p} (sampling only; 1 = off) */
    public double topP() {
        return topP;
    }

    /** @return the seed of the sampler */
    public long seed() {
        return seed;
    }

    /** @return {@code eos_token_id}, or {@code null} to take the model's */
    public List<Integer> eosTokenIds() {
        return eosTokenIds;
    }

    /** @return {@code pad_token_id} for finished rows, or {@code null} to take the model's (else eos) */
    public Integer padTokenId() {
        return padTokenId;
    }

    /** @return whether the result keeps each step's raw logits */
    public boolean outputLogits() {
        return outputLogits;
    }

    /** Builder of {@link GenerationConfig}. */
    public static final class Builder {
        private int maxNewTokens = 20;
        private boolean doSample;
        private double temperature = 1.0;
        private int topK = 50;
        private double topP = 1.0;
        private long seed;
        private List<Integer> eosTokenIds;
        private Integer padTokenId;
        private boolean outputLogits;

        private Builder() {}

        /** @param v {@code max_new_tokens} @return this builder */
        public Builder maxNewTokens(int v) {
            maxNewTokens = v;
            return this;
        }

        /** @param v {@code do_sample} @return this builder */
        public Builder doSample(boolean v) {
            doSample = v;
            return this;
        }

        /** @param v {@code temperature} @return this builder */
        public Builder temperature(double v) {
            temperature = v;
            return this;
        }

        /** @param v {@code top_k}, 0 to disable @return this builder */
        public Builder topK(int v) {
            topK = v;
            return this;
        }

        /** @param v {@code top_p}, 1 to disable @return this builder */
        public Builder topP(double v) {
            topP = v;
            return this;
        }

        /** @param v the sampler's seed @return this builder */
        public Builder seed(long v) {
            seed = v;
            return this;
        }

        /** @param ids the end-of-sequence ids @return this builder */
        public Builder eosTokenIds(Integer... ids) {
            eosTokenIds = List.of(ids);
            return this;
        }

        /** @param v the id written after a row has finished @return this builder */
        public Builder padTokenId(Integer v) {
            padTokenId = v;
            return this;
        }

        /** @param v whether to keep each step's raw logits in the result @return this builder */
        public Builder outputLogits(boolean v) {
            outputLogits = v;
            return this;
        }

        /** @return the validated config */
        public GenerationConfig build() {
            return new GenerationConfig(this);
        }
    }
}
