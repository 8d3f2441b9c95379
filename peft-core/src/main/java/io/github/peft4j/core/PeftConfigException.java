package io.github.peft4j.core;

/**
 * An invalid configuration: a field out of range, two options that exclude each other, targets
 * that match no module. The message names the field and what would be valid.
 *
 * <pre>{@code
 * if (r <= 0) {
 *     throw new PeftConfigException("r must be > 0, got " + r);
 * }
 * }</pre>
 */
public class PeftConfigException extends PeftException {

    private static final long serialVersionUID = 1L;

    /** @param message the field at fault and what would be valid */
    public PeftConfigException(String message) {
        super(message);
    }

    /**
     * @param message the field at fault and what would be valid
     * @param cause the underlying error
     */
    public PeftConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
