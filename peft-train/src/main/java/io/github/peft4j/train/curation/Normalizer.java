package io.github.peft4j.train.curation;

import java.text.Normalizer.Form;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The text form duplicates are compared in: Unicode NFKC (full-width letters, ligatures and
 * compatibility characters folded), lower case, every run of white space (Unicode included) as one
 * space, trimmed. Punctuation and digits are kept: "v1.2" and "v1 2" stay different.
 *
 * <pre>{@code
 * Normalizer.normalize("  Hello\u00A0\tWORLD  ");   // "hello world"
 * }</pre>
 */
public final class Normalizer {

    private static final Pattern SPACE = Pattern.compile("[\\s\\p{Z}]+", Pattern.UNICODE_CHARACTER_CLASS);

    private Normalizer() {}

    /**
     * @param text any text
     * @return its normalised form
     */
    public static String normalize(String text) {
        String nfkc = java.text.Normalizer.normalize(text, Form.NFKC);
        return SPACE.matcher(nfkc.toLowerCase(Locale.ROOT)).replaceAll(" ").trim();
    }
}
