package io.github.peft4j.train;

import java.time.Duration;

/**
 * The numbers a progress bar shows, as {@link TrainerCallback#onProgress} receives them.
 *
 * <pre>{@code
 * callback.onProgress(new Progress(120, 500, 2.31, 1.8e-4, 5400, Duration.ofSeconds(83), Double.NaN, false));
 * }</pre>
 *
 * @param step optimizer steps done
 * @param maxSteps optimizer steps of the run
 * @param loss the loss of the last step
 * @param learningRate the learning rate of the last step
 * @param tokensPerSecond recent throughput in non-padding tokens per second
 * @param eta the estimated time to the last step
 * @param evalLoss the last eval loss, NaN before the first evaluation
 * @param finished whether training has ended
 */
public record Progress(int step, int maxSteps, double loss, double learningRate, double tokensPerSecond, Duration eta,
        double evalLoss, boolean finished) {}
