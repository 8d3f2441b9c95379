package io.github.peft4j.registry;

/**
 * Checks free text before it reaches the database, so that SQLite and PostgreSQL accept and refuse
 * the same values: PostgreSQL refuses NUL in text and enforces column widths that SQLite ignores,
 * and a lone UTF-16 surrogate would be stored as {@code ?} by either (the value read back would not
 * be the value written).
 *
 * <pre>{@code
 * RegistryText.check("created_by", lineage.createdBy(), RegistryText.SHORT);
 * }</pre>
 */
final class RegistryText {

    /** Width of the short text columns ({@code created_by}, {@code actor}). */
    static final int SHORT = 200;
    /** No limit beyond the database's own. */
    static final int UNLIMITED = Integer.MAX_VALUE;

    private RegistryText() {}

    /**
     * @param field the field's name, for the message
     * @param value the text, or {@code null} (always accepted)
     * @param maxChars the most characters the field holds
     * @throws RegistryException naming the field and quoting the value if it is refused
     */
    static void check(String field, String value, int maxChars) {
        if (value == null) {
            return;
        }
        if (value.length() > maxChars) {
            throw refused(field, value, "is " + value.length() + " characters long; at most " + maxChars + " fit");
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == 0) {
                throw refused(field, value, "contains a NUL character at index " + i);
            }
            if (Character.isHighSurrogate(c) && i + 1 < value.length() && Character.isLowSurrogate(value.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw refused(field, value, "contains an unpaired UTF-16 surrogate at index " + i + " (not valid text)");
            }
        }
    }

    private static RegistryException refused(String field, String value, String problem) {
        String shown = value.length() > 120 ? value.substring(0, 120) + "..." : value;
        return new RegistryException(field + " '" + shown + "' " + problem);
    }
}
