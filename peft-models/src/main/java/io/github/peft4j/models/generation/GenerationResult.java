package io.github.peft4j.models.generation;

import java.util.List;

/**
 * What {@link Generator} produced for each prompt of a batch.
 *
 * <pre>{@code
 * GenerationResult out = Generator.generate(model, prompts, GenerationConfig.greedy(16));
 * String text = tokenizer.decode(out.tokens().get(0), true);
 * }</pre>
 *
 * @param tokens the new tokens of each row, up to and including its end-of-sequence token
 * @param finishReasons why each row stopped
 * @param logits when requested, the raw logits of each step: {@code logits.get(step)[row]} is the
 *     vocabulary-sized vector the step's token was chosen from (rows that had finished included)
 */
public record GenerationResult(List<long[]> tokens, List<FinishReason> finishReasons, List<float[][]> logits) {

    /** Why a row stopped. */
    public enum FinishReason {
        /** It produced an end-of-sequence token. */
        EOS,
        /** It reached {@code max_new_tokens}. */
        LENGTH,
        /** Its text reached one of the {@code stop_strings}. */
        STOP_STRING
    }

    /**
     * @param tokens new tokens per row
     * @param finishReasons per row
     * @param logits per step, possibly empty
     */
    public GenerationResult {
        tokens = List.copyOf(tokens);
        finishReasons = List.copyOf(finishReasons);
        logits = List.copyOf(logits);
    }
}
