package io.github.peft4j.train;

/**
 * Where training stands, as callbacks and progress listeners see it (a snapshot).
 *
 * <pre>{@code
 * public void onStepEnd(TrainerState s, TrainerControl c) {
 *     if (s.globalStep() % 100 == 0) log.info("step {} loss {}", s.globalStep(), s.loss());
 * }
 * }</pre>
 *
 * @param globalStep optimizer steps done
 * @param maxSteps optimizer steps of the whole run
 * @param epoch epochs done, fractional
 * @param loss the loss of the last step
 * @param learningRate the learning rate of the last step
 * @param gradNorm the global gradient norm of the last step, before clipping
 * @param tokensSeen non-padding tokens trained on so far
 * @param bestEvalLoss the lowest eval loss so far, NaN before the first evaluation
 * @param bestStep the step of that evaluation, -1 before
 * @param elapsedSeconds training time so far, earlier runs of a resumed training included
 */
public record TrainerState(
        int globalStep,
        int maxSteps,
        double epoch,
        double loss,
        double learningRate,
        double gradNorm,
        long tokensSeen,
        double bestEvalLoss,
        int bestStep,
        double elapsedSeconds) {}
