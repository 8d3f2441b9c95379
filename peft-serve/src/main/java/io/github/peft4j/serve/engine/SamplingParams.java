package io.github.peft4j.serve.engine;

import io.github.peft4j.models.generation.GenerationConfig;
import java.util.List;

/**
 * OpenAI's sampling fields of one request, checked by the HTTP layer: {@code temperature} 0 is
 * greedy decoding; otherwise temperature, top-k and top-p warp the logits (transformers' order) and
 * a generator seeded with {@code seed} draws, so a seed gives the same text alone and under load.
 *
 * <pre>{@code
 * SamplingParams greedy = SamplingParams.greedy(16);
 * SamplingParams nucleus = new SamplingParams(64, 0.7, 0.9, 0, 7L, List.of("\n\n"), false);
 * }</pre>
 *
 * @param maxTokens the most tokens to generate ({@code max_tokens})
 * @param temperature 0 for greedy, else the sampling temperature
 * @param topP nucleus mass, 1 = off
 * @param topK candidates kept, 0 = off (vLLM's -1 is mapped to 0)
 * @param seed the sampler's seed
 * @param stop strings that end the text (not included in it)
 * @param ignoreEos vLLM's {@code ignore_eos}: keep generating past end-of-sequence (benchmarks)
 */
public record SamplingParams(int maxTokens, double temperature, double topP, int topK, long seed, List<String> stop,
        boolean ignoreEos) {

    /** @param stop the stop strings */
    public SamplingParams {
        stop = List.copyOf(stop);
    }

    /** @param maxTokens the most tokens @return greedy decoding without stop strings */
    public static SamplingParams greedy(int maxTokens) {
        return new SamplingParams(maxTokens, 0, 1, 0, 0, List.of(), false);
    }

    /** @return the decoder's settings */
    public GenerationConfig generationConfig() {
        GenerationConfig.Builder b = GenerationConfig.builder().maxNewTokens(maxTokens);
        if (temperature > 0) {
            b.doSample(true).temperature(temperature).topP(topP).topK(topK).seed(seed);
        }
        return b.build();
    }
}
