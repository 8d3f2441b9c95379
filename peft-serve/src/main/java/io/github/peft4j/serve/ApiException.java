package io.github.peft4j.serve;

/**
 * A request the server refuses, with the HTTP status and the fields of OpenAI's error body
 * ({@code {"error": {"message", "type", "code"}}}), as vLLM sends them.
 *
 * <pre>{@code
 * throw ApiException.notFound("The model `acme` does not exist.", "model_not_found");
 * }</pre>
 */
public class ApiException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int status;
    private final String type;
    private final String code;

    /**
     * @param status the HTTP status
     * @param type OpenAI's error type ({@code invalid_request_error}, ...)
     * @param code a machine-readable code, or {@code null}
     * @param message what went wrong, for a person
     */
    public ApiException(int status, String type, String code, String message) {
        super(message);
        this.status = status;
        this.type = type;
        this.code = code;
    }

    /** @param message what is wrong with the request @param code the code, or {@code null} @return a 400 */
    public static ApiException badRequest(String message, String code) {
        return new ApiException(400, "invalid_request_error", code, message);
    }

    /** @param message what is missing @param code the code @return a 404 */
    public static ApiException notFound(String message, String code) {
        return new ApiException(404, "invalid_request_error", code, message);
    }

    /** @param message why the tenant may not @return a 403 */
    public static ApiException forbidden(String message) {
        return new ApiException(403, "permission_error", "model_not_allowed", message);
    }

    /** @return the HTTP status */
    public int status() {
        return status;
    }

    /** @return OpenAI's error type */
    public String type() {
        return type;
    }

    /** @return the code, or {@code null} */
    public String code() {
        return code;
    }
}
