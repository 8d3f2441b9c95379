package io.github.peft4j.registry;

import io.github.peft4j.core.PeftException;

/**
 * A registry operation that cannot be done: an unknown name, version or alias, a corrupt blob, a
 * database that is not a peft4j registry. The message names the thing at fault.
 *
 * <pre>{@code
 * try {
 *     registry.resolve("support@production");
 * } catch (RegistryException e) {
 *     System.err.println(e.getMessage());   // "support has no alias 'production' (aliases: staging)"
 * }
 * }</pre>
 */
public class RegistryException extends PeftException {

    private static final long serialVersionUID = 1L;

    /** @param message what went wrong, naming the name/version/alias/file */
    public RegistryException(String message) {
        super(message);
    }

    /**
     * @param message what went wrong
     * @param cause the underlying error
     */
    public RegistryException(String message, Throwable cause) {
        super(message, cause);
    }
}
