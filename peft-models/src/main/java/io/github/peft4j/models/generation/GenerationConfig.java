package io.github.peft4j.models.generation;

import io.github.peft4j.core.PeftConfigException;
import java.util.List;

/**
 * How {@link Generator} picks tokens, with the meaning and defaults of transformers'
 * {@code GenerationConfig}: greedy unless {@code doSample}; sampling applies temperature, then
 * top-k, then top-p (nucleus) to the logits, after the repetition penalty (which greedy decoding
 * applies too). Generation stops at an end-of-sequence id, at a stop string (given a decoder of
 * tokens to text) or after {@code maxNewTokens}. Ids left unset come from the model's configuration.
 *
 * <pre>{@code
 * GenerationConfig greedy = GenerationConfig.greedy(32);
 * GenerationConfig sample = GenerationConfig.builder().maxNewTokens(64).doSample(true)
 *         .temperature(0.7).topK(50).topP(0.9).seed(7).build();
 * GenerationConfig chat = GenerationConfig.builder().repetitionPenalty(1.2).stopStrings("\nUser:").build();
 * }</pre>
 *
 * @param maxNewTokens {@code max_new_tokens}, the most tokens to generate
 * @param doSample {@code do_sample}
 * @param temperature {@code temperature} (sampling only)
 * @param topK {@code top_k} (sampling only; 0 = off)
 * @param topP {@code top_p} (sampling only; 1 = off)
 * @param seed the seed of the sampler
 * @param eosTokenIds {@code eos_token_id}, or {@code null} to take the model's
 * @param padTokenId {@code pad_token_id} for finished rows, or {@code null} to take the model's (else eos)
 * @param outputLogits whether the result keeps each step's raw logits
 * @param repetitionPenalty {@code repetition_penalty} (1 = off): the logit of every token already in
 *     the row (prompt or generated) is divided by it when positive, multiplied by it when negative
 * @param stopStrings {@code stop_strings}: a row stops once its generated text contains one of them
 *     completed by the newest token, which is kept (transformers' {@code StopStringCriteria})
 */
public record GenerationConfig(int maxNewTokens, boolean doSample, double temperature, int topK, double topP,
        long seed, List<Integer> eosTokenIds, Integer padTokenId, boolean outputLogits, double repetitionPenalty,
        List<String> stopStrings) {

    /** Checks the values: one out of range is a {@link PeftConfigException} naming its key. */
    public GenerationConfig {
        if (maxNewTokens < 1) {
            throw new PeftConfigException("max_new_tokens must be >= 1, got " + maxNewTokens);
        }
        if (!(temperature > 0)) {
            throw new PeftConfigException("temperature must be > 0, got " + temperature);
        }
        if (topK < 0) {
            throw new PeftConfigException("top_k must be >= 0 (0 disables it), got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new PeftConfigException("top_p must be in (0, 1], got " + topP);
        }
        if (!(repetitionPenalty > 0)) {
            throw new PeftConfigException("repetition_penalty must be > 0 (1 disables it), got " + repetitionPenalty);
        }
        eosTokenIds = eosTokenIds == null ? null : List.copyOf(eosTokenIds);
        stopStrings = stopStrings == null ? List.of() : List.copyOf(stopStrings);
        if (stopStrings.stream().anyMatch(String::isEmpty)) {
            throw new PeftConfigException("stop_strings must not contain an empty string");
        }
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
        private double repetitionPenalty = 1.0;
        private List<String> stopStrings = List.of();

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

        /** @param v {@code repetition_penalty}, 1 to disable @return this builder */
        public Builder repetitionPenalty(double v) {
            repetitionPenalty = v;
            return this;
        }

        /** @param v {@code stop_strings} @return this builder */
        public Builder stopStrings(String... v) {
            stopStrings = List.of(v);
            return this;
        }

        /** @return the validated config */
        public GenerationConfig build() {
            return new GenerationConfig(maxNewTokens, doSample, temperature, topK, topP, seed, eosTokenIds, padTokenId,
                    outputLogits, repetitionPenalty, stopStrings);
        }
    }
}
