package io.github.peft4j.serve.engine;

/**
 * A finished generation, with what the request log and the response need.
 *
 * <pre>{@code
 * Completion c = request.result().join();
 * System.out.println(c.text() + " [" + c.finishReason() + ", " + c.target().version() + "]");
 * }</pre>
 *
 * @param text the generated text (after output policies)
 * @param finishReason {@code stop} (end of sequence or a stop string) or {@code length}
 * @param promptTokens tokens in the prompt
 * @param completionTokens tokens generated
 * @param target what served it (the exact version)
 * @param queueMillis time from submission to the start of its prompt's forward
 * @param ttftMillis time from submission to its first token
 * @param latencyMillis time from submission to the end
 */
public record Completion(String text, String finishReason, int promptTokens, int completionTokens, Target target,
        double queueMillis, double ttftMillis, double latencyMillis) {}
