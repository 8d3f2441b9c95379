package io.github.peft4j.train;

/**
 * Why a training run ended.
 *
 * <pre>{@code
 * if (result.stopReason() == StopReason.EARLY_STOPPING) log.info("stopped early at {}", result.globalStep());
 * }</pre>
 */
public enum StopReason {
    /** All planned steps were done. */
    MAX_STEPS,
    /** The eval loss stopped improving for {@code early_stopping_patience} evaluations. */
    EARLY_STOPPING,
    /** A callback asked to stop. */
    CALLBACK
}
