package io.github.peft4j.train;

import io.github.peft4j.core.PeftException;

/**
 * Training produced a NaN or infinite loss or gradient norm. The trainer stops at once and writes
 * no adapter, so a broken adapter never replaces a good one; the last checkpoint, if any, is named
 * in the message.
 *
 * <pre>{@code
 * try {
 *     trainer.train();
 * } catch (TrainingDivergedException e) {
 *     log.error("diverged at step {}: lower the learning rate", e.step());
 * }
 * }</pre>
 */
public class TrainingDivergedException extends PeftException {

    private static final long serialVersionUID = 1L;

    private final int step;

    /**
     * @param step the step that diverged (1-based)
     * @param message what happened and what to try
     */
    public TrainingDivergedException(int step, String message) {
        super(message);
        this.step = step;
    }

    /** @return the step that diverged */
    public int step() {
        return step;
    }
}
