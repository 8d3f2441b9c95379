package io.github.peft4j.train;

/**
 * Receives progress after every optimizer step; the library never prints, so a command-line tool
 * installs a {@link ConsoleProgressBar} and a service forwards the numbers where it likes.
 *
 * <pre>{@code
 * PeftTrainer.builder()...progressListener(new ConsoleProgressBar(System.err));
 * }</pre>
 */
@FunctionalInterface
public interface ProgressListener {

    /** @param progress the numbers after a step (or at the end, with {@link Progress#finished()}) */
    void onProgress(Progress progress);
}
