package io.github.peft4j.cli;

/** A problem with what the user asked for (a missing file, an unsupported option): one line, exit 1. */
final class UserError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UserError(String message) {
        super(message);
    }
}
