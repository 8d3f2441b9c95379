package io.github.peft4j.models.generation;

import io.github.peft4j.core.PeftConfigException;
import java.util.List;
import java.util.function.Function;

/**
 * transformers' {@code StopStringCriteria} for one sequence: after each new token, whether the
 * generated text now holds a stop string that this token completed (a string already complete before
 * it does not count again; the token may carry characters past the string's end, transformers'
 * "overhang"). The text is that of the generated tokens, decoded by the caller's tokenizer.
 *
 * <pre>{@code
 * StopStrings stop = StopStrings.of(List.of("\nUser:"), tokenizer::decode);
 * while (!stop.completedBy(generatedSoFar)) { ... }
 * }</pre>
 */
public final class StopStrings {

    private final List<String> strings;
    private final Function<long[], String> decoder;
    private int checkedLength;

    private StopStrings(List<String> strings, Function<long[], String> decoder) {
        this.strings = strings;
        this.decoder = decoder;
    }

    /**
     * @param strings the stop strings (none: never stops)
     * @param decoder token ids to text, or {@code null} when there are no stop strings
     * @return a matcher for one sequence
     * @throws PeftConfigException when there are stop strings but no decoder
     */
    public static StopStrings of(List<String> strings, Function<long[], String> decoder) {
        if (!strings.isEmpty() && decoder == null) {
            throw new PeftConfigException("stop_strings need a tokenizer to decode the generated tokens: pass one"
                    + " (Generator.generate(model, prompts, config, tokenizer::decode))");
        }
        return new StopStrings(strings, decoder);
    }

    /**
     * @param generated every token generated so far, the newest last
     * @return whether the newest token completed a stop string
     */
    public boolean completedBy(long[] generated) {
        if (strings.isEmpty()) {
            return false;
        }
        String text = decoder.apply(generated);
        int before = Math.min(checkedLength, text.length());
        checkedLength = text.length();
        for (String s : strings) {
            // an occurrence that ends after the text of the earlier tokens
            if (text.indexOf(s, Math.max(0, before - s.length() + 1)) >= 0) {
                return true;
            }
        }
        return false;
    }
}
