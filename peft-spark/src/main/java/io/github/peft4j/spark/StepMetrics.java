package io.github.peft4j.spark;

import java.io.Serializable;

/**
 * One optimizer step of data-parallel training, as rank 0 saw it.
 *
 * @param step the step number (1-based)
 * @param loss the global batch's mean loss
 * @param learningRate the rate applied
 * @param gradNorm the global gradient norm before clipping
 * @param tokens the non-padding tokens of the global batch
 * @param seconds the step's wall time on rank 0
 * @param exchangeSeconds of which in the all-reduce (waiting for the peers, transfer, decoding, summing)
 */
public record StepMetrics(int step, double loss, double learningRate, double gradNorm, long tokens, double seconds,
        double exchangeSeconds) implements Serializable {}
