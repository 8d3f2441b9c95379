package io.github.peft4j.core;

/**
 * An adapter, model or operation that does not fit the other side: an adapter trained for other
 * modules, an unknown {@code peft_type}, a merge asked of an adapter that cannot merge.
 *
 * <pre>{@code
 * throw new PeftCompatibilityException("no PeftMethod registered for peft_type 'LOHA'");
 * }</pre>
 */
public class PeftCompatibilityException extends PeftException {

    private static final long serialVersionUID = 1L;

    /** @param message what does not fit and what was expected */
    public PeftCompatibilityException(String message) {
        super(message);
    }

    /**
     * @param message what does not fit and what was expected
     * @param cause the underlying error
     */
    public PeftCompatibilityException(String message, Throwable cause) {
        super(message, cause);
    }
}
