package io.github.peft4j.serve.engine;

/**
 * Receives a streamed request's text as it is generated. Called on the scheduler's thread: it must
 * return quickly (hand the text to the connection's thread).
 *
 * <pre>{@code
 * TextListener toQueue = deltas::add;
 * }</pre>
 */
@FunctionalInterface
public interface TextListener {

    /** @param delta text following what was sent before */
    void onText(String delta);
}
