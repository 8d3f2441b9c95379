package io.github.peft4j.train.data;

/**
 * A JSONL line that is not a valid record, with its {@link BadLineReason}; the reader adds the file
 * and line number (or, when skipping bad lines, counts it).
 *
 * <pre>{@code
 * throw new BadLineException(BadLineReason.MISSING_KEY, "missing \"chosen\"");
 * }</pre>
 */
public final class BadLineException extends Exception {
    private static final long serialVersionUID = 1L;

    private final BadLineReason reason;

    /**
     * @param reason the kind of problem
     * @param message what is wrong, without file or line
     */
    public BadLineException(BadLineReason reason, String message) {
        super(message);
        this.reason = reason;
    }

    /** @return the kind of problem */
    public BadLineReason reason() {
        return reason;
    }
}
