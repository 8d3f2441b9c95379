package io.github.peft4j.core;

import java.nio.file.Path;

/**
 * A file that does not parse or does not fit what was expected: a malformed safetensors header, a
 * tensor with the wrong shape, a JSON file with a wrong field. The message names the file and the
 * offending key; {@link #file()} and {@link #key()} give them to code.
 *
 * <pre>{@code
 * throw new PeftFormatException(path, "lora_A.weight", "expected shape [8, 64] but found [8, 32]");
 * }</pre>
 */
public class PeftFormatException extends PeftException {

    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final String key;

    /**
     * @param file the file being read or written, or {@code null} when there is none
     * @param key the tensor, JSON key or line at fault, or {@code null} when the whole file is
     * @param problem what is wrong, with the expected value
     */
    public PeftFormatException(Path file, String key, String problem) {
        this(file, key, problem, null);
    }

    /**
     * @param file the file being read or written, or {@code null}
     * @param key the tensor, JSON key or line at fault, or {@code null}
     * @param problem what is wrong
     * @param cause the underlying error
     */
    public PeftFormatException(Path file, String key, String problem, Throwable cause) {
        super(describe(file, key, problem), cause);
        this.file = file;
        this.key = key;
    }

    /** @return the file at fault, or {@code null} */
    public Path file() {
        return file;
    }

    /** @return the tensor, key or line at fault, or {@code null} */
    public String key() {
        return key;
    }

    private static String describe(Path file, String key, String problem) {
        StringBuilder sb = new StringBuilder();
        if (file != null) {
            sb.append(file).append(": ");
        }
        if (key != null) {
            sb.append('\'').append(key).append("': ");
        }
        return sb.append(problem).toString();
    }
}
