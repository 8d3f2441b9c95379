package io.github.peft4j.train.data.preference;

import io.github.peft4j.train.data.TokenizedExample;
import java.util.Objects;

/**
 * A tokenized preference pair: prompt + chosen answer and prompt + rejected answer, each with the
 * prompt's labels at -100 so that only the answer's tokens count in its log-probability.
 *
 * <pre>{@code
 * PreferenceExample e = new PreferenceExample(
 *         TokenizedExample.languageModel(new int[] {5, 6, 7}, new int[] {-100, 6, 7}),
 *         TokenizedExample.languageModel(new int[] {5, 6, 9}, new int[] {-100, 6, 9}));
 * }</pre>
 *
 * @param chosen the prompt and the preferred answer
 * @param rejected the prompt and the other answer
 */
public record PreferenceExample(TokenizedExample chosen, TokenizedExample rejected) {

    /** Checks that both are language-modelling examples. */
    public PreferenceExample {
        Objects.requireNonNull(chosen, "chosen");
        Objects.requireNonNull(rejected, "rejected");
        if (chosen.isClassification() || rejected.isClassification()) {
            throw new IllegalArgumentException("a preference pair is two language-modelling examples");
        }
    }
}
