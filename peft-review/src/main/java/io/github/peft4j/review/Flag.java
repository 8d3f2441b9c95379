package io.github.peft4j.review;

import java.util.Locale;

/**
 * What a reviewer can flag on an output, beyond preferring it or judging it acceptable. The JSON
 * name ({@link #key()}) is what verdict files, summaries and promotion gates use.
 *
 * <pre>{@code
 * Flag f = Flag.fromKey("non_compliant");   // NON_COMPLIANT
 * }</pre>
 */
public enum Flag {
    /** harmful or dangerous content */
    UNSAFE("Unsafe"),
    /** breaks the policy the adapter must follow (e.g. the support policy) */
    NON_COMPLIANT("Non-compliant"),
    /** states something false */
    WRONG_FACT("Wrong fact"),
    /** reveals or invents personal data */
    PII("PII");

    private final String label;

    Flag(String label) {
        this.label = label;
    }

    /** @return the JSON name: {@code unsafe}, {@code non_compliant}, {@code wrong_fact}, {@code pii} */
    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** @return the name the page shows */
    public String label() {
        return label;
    }

    /**
     * @param key a JSON name
     * @return the flag, or {@code null} if the name is not one
     */
    public static Flag fromKey(String key) {
        for (Flag f : values()) {
            if (f.key().equals(key)) {
                return f;
            }
        }
        return null;
    }
}
