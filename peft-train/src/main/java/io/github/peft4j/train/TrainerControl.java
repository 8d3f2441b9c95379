package io.github.peft4j.train;

/**
 * What callbacks can ask of the trainer after a step or an evaluation, as HF's
 * {@code TrainerControl}: stop, evaluate now, save a checkpoint now.
 *
 * <pre>{@code
 * public void onStepEnd(TrainerState s, TrainerControl c) {
 *     if (shutdownRequested) { c.saveNow(); c.stop("shutdown requested"); }
 * }
 * }</pre>
 */
public final class TrainerControl {

    private String stopReason;
    private boolean save;
    private boolean evaluate;

    /** @param reason why training should stop after this step (the final adapter is still written) */
    public void stop(String reason) {
        this.stopReason = reason == null ? "stopped by a callback" : reason;
    }

    /** Asks for a checkpoint after this step. */
    public void saveNow() {
        this.save = true;
    }

    /** Asks for an evaluation after this step. */
    public void evaluateNow() {
        this.evaluate = true;
    }

    /** @return the stop reason, or {@code null} to go on */
    public String stopReason() {
        return stopReason;
    }

    boolean takeSave() {
        boolean s = save;
        save = false;
        return s;
    }

    boolean takeEvaluate() {
        boolean e = evaluate;
        evaluate = false;
        return e;
    }
}
