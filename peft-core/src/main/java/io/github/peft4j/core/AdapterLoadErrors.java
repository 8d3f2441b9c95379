package io.github.peft4j.core;

import java.nio.file.Path;

/**
 * Names the adapter directory in the typed errors of loading one (issue 24: "Target modules
 * ["nonexistent"] not found..." and "no PeftMethod registered for peft_type 'LOKR'" did not say
 * which adapter). The error keeps its type; one whose message already names the directory or a
 * file in it passes unchanged.
 *
 * <pre>{@code
 * AdapterLoadErrors.naming(dir, () -> addAdapter(name, contents.config()));
 * // PeftConfigException: adapter /srv/adapters/a: Target modules ["nonexistent"] not found ...
 * }</pre>
 */
final class AdapterLoadErrors {

    private AdapterLoadErrors() {}

    /**
     * @param dir the adapter directory being loaded
     * @param load the loading
     * @throws PeftException of the same type as {@code load}'s, naming {@code dir}
     */
    static void naming(Path dir, Runnable load) {
        try {
            load.run();
        } catch (PeftException e) {
            throw named(dir, e);
        }
    }

    static PeftException named(Path dir, PeftException e) {
        String message = String.valueOf(e.getMessage());
        if (message.contains(dir.toString())) {
            return e;
        }
        String named = "adapter " + dir + ": " + message;
        if (e.getClass() == PeftConfigException.class) {
            return new PeftConfigException(named, e);
        }
        if (e.getClass() == PeftCompatibilityException.class) {
            return new PeftCompatibilityException(named, e);
        }
        if (e.getClass() == PeftFormatException.class) {
            PeftFormatException f = (PeftFormatException) e;
            return new PeftFormatException(f.file() != null ? f.file() : dir, f.key(), message, e);
        }
        if (e.getClass() == PeftException.class) {
            return new PeftException(named, e);
        }
        return e;
    }
}
