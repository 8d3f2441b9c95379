package io.github.peft4j.core;

/**
 * Root of every error peft4j raises. Unchecked, so that callers handle it where they can act on it.
 *
 * <p>Subtypes say which kind of problem it is: {@link PeftFormatException} for files that do not
 * parse or do not fit, {@link PeftConfigException} for invalid configurations and
 * {@link PeftCompatibilityException} for an adapter or model that does not fit the other side.
 *
 * <pre>{@code
 * try {
 *     model.loadAdapter(dir, "support");
 * } catch (PeftFormatException e) {
 *     log.error("bad adapter file {}: {}", e.file(), e.getMessage());
 * }
 * }</pre>
 */
public class PeftException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message what went wrong, naming the file, key or line and the expected value
     */
    public PeftException(String message) {
        super(message);
    }

    /**
     * @param message what went wrong
     * @param cause the underlying error
     */
    public PeftException(String message, Throwable cause) {
        super(message, cause);
    }
}
