package io.github.peft4j.spark;

import io.github.peft4j.core.PeftException;

/**
 * The socket all-reduce of {@link DataParallelTrainer} failed: a peer died, timed out or sent a
 * malformed frame. The barrier stage fails with it and Spark retries the stage from the segment's
 * start state.
 *
 * <pre>{@code
 * catch (GradientExchangeException e) { log.error("rank {} lost rank {} at step {}", e.rank(), e.peerRank(), e.step()); }
 * }</pre>
 */
public final class GradientExchangeException extends PeftException {

    private static final long serialVersionUID = 1L;

    private final int rank;
    private final int peerRank;
    private final int step;

    /**
     * @param rank the rank that saw the failure
     * @param peerRank the peer it concerns, -1 if none
     * @param step the step (1-based), 0 while connecting
     * @param message what went wrong, naming the peer's address
     * @param cause the underlying error, or null
     */
    public GradientExchangeException(int rank, int peerRank, int step, String message, Throwable cause) {
        super("gradient exchange, rank " + rank + (step > 0 ? ", step " + step : ", connecting") + ": " + message,
                cause);
        this.rank = rank;
        this.peerRank = peerRank;
        this.step = step;
    }

    /** @return the rank that saw the failure */
    public int rank() {
        return rank;
    }

    /** @return the peer it concerns, -1 if none */
    public int peerRank() {
        return peerRank;
    }

    /** @return the step (1-based), 0 while connecting */
    public int step() {
        return step;
    }
}
