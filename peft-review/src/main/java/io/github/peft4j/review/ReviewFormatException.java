package io.github.peft4j.review;

import io.github.peft4j.core.PeftFormatException;
import java.nio.file.Path;

/**
 * A review sheet or verdict file that does not parse or does not fit the sheet it is read against;
 * the message names the file and the line, and {@link #line()} gives the line to code.
 *
 * <pre>{@code
 * catch (ReviewFormatException e) { System.err.println(e.file() + " line " + e.line() + ": " + e.getMessage()); }
 * }</pre>
 */
public class ReviewFormatException extends PeftFormatException {

    private static final long serialVersionUID = 1L;

    private final long line;

    /**
     * @param file the file
     * @param line the 1-based line at fault, or 0 for the whole file
     * @param problem what is wrong, with what was expected
     */
    public ReviewFormatException(Path file, long line, String problem) {
        this(file, line, problem, null);
    }

    /**
     * @param file the file
     * @param line the 1-based line at fault, or 0 for the whole file
     * @param problem what is wrong
     * @param cause the underlying error, or {@code null}
     */
    public ReviewFormatException(Path file, long line, String problem, Throwable cause) {
        super(file, line > 0 ? "line " + line : null, problem, cause);
        this.line = line;
    }

    /** @return the 1-based line at fault, or 0 when the whole file is */
    public long line() {
        return line;
    }
}
