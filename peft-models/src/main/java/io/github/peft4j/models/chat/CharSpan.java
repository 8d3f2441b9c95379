package io.github.peft4j.models.chat;

/**
 * A range of characters ({@code String} indices) of a rendered chat.
 *
 * <pre>{@code
 * CharSpan s = new CharSpan(10, 25);
 * String piece = text.substring(s.start(), s.end());
 * }</pre>
 *
 * @param start the first character
 * @param end one past the last character
 */
public record CharSpan(int start, int end) {

    /** Checks the bounds. */
    public CharSpan {
        if (start < 0 || end < start) {
            throw new IllegalArgumentException("bad span [" + start + ", " + end + ")");
        }
    }

    /**
     * @param from the first character of another range
     * @param to one past its last character
     * @return whether the two ranges share a character
     */
    public boolean overlaps(int from, int to) {
        return from < end && start < to;
    }
}
