package io.github.peft4j.assets.tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * Cuts the special tokens out of a text before pre-tokenisation, as Hugging Face's added-vocabulary
 * step does: at each position the longest special token that starts there wins, scanning left to
 * right, so {@code "<|user|>\nHi"} is the special token then the ordinary text {@code "\nHi"}.
 *
 * <pre>{@code
 * new SpecialTokenSplitter(List.of("<|endoftext|>")).split("a<|endoftext|>b")
 * // [Segment("a", -1), Segment("<|endoftext|>", 0), Segment("b", -1)]
 * }</pre>
 */
public final class SpecialTokenSplitter {

    /**
     * A piece of the input.
     *
     * @param text the characters
     * @param specialId the index of the special token it is, or -1 for ordinary text
     */
    public record Segment(String text, int specialId) {
    }

    private final List<String> specials;

    /** @param specials the special tokens; index = id */
    public SpecialTokenSplitter(List<String> specials) {
        this.specials = List.copyOf(specials);
    }

    /**
     * @param text any text
     * @return ordinary and special segments, in order, none empty
     */
    public List<Segment> split(String text) {
        List<Segment> out = new ArrayList<>();
        int plainStart = 0;
        int i = 0;
        while (i < text.length()) {
            int match = -1;
            for (int s = 0; s < specials.size(); s++) {
                String sp = specials.get(s);
                if (text.startsWith(sp, i) && (match < 0 || sp.length() > specials.get(match).length())) {
                    match = s;
                }
            }
            if (match < 0) {
                i++;
                continue;
            }
            if (i > plainStart) {
                out.add(new Segment(text.substring(plainStart, i), -1));
            }
            out.add(new Segment(specials.get(match), match));
            i += specials.get(match).length();
            plainStart = i;
        }
        if (plainStart < text.length()) {
            out.add(new Segment(text.substring(plainStart), -1));
        }
        return out;
    }
}
