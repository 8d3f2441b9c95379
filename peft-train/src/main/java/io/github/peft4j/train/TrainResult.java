package io.github.peft4j.train;

import io.github.peft4j.train.eval.ComparisonReport;
import java.nio.file.Path;
import java.util.List;

/**
 * The outcome of a training run (a resumed run includes the steps before the checkpoint).
 *
 * <pre>{@code
 * TrainResult r = trainer.train();
 * System.out.printf("%d steps, final loss %.4f, %.0f tokens/s%n", r.globalStep(), r.finalLoss(), r.tokensPerSecond());
 * }</pre>
 *
 * @param globalStep optimizer steps done
 * @param stepLosses the loss of every step, in order
 * @param evalHistory every evaluation, in order
 * @param bestEvalLoss the lowest eval loss, NaN without evaluation
 * @param bestStep its step, -1 without evaluation
 * @param stopReason why training ended
 * @param stopDetail a sentence on why
 * @param trainSeconds training time (evaluation and saving included)
 * @param tokens non-padding tokens trained on
 * @param outputDir the output directory, holding the final adapter, {@code metrics.jsonl},
 *     {@code loss.svg} and the checkpoints
 */
public record TrainResult(
        int globalStep,
        List<Double> stepLosses,
        List<EvalPoint> evalHistory,
        double bestEvalLoss,
        int bestStep,
        StopReason stopReason,
        String stopDetail,
        double trainSeconds,
        long tokens,
        Path outputDir) {

    /** Copies the lists. */
    public TrainResult {
        stepLosses = List.copyOf(stepLosses);
        evalHistory = List.copyOf(evalHistory);
    }

    /** @return the loss of the last step, NaN if none was made */
    public double finalLoss() {
        return stepLosses.isEmpty() ? Double.NaN : stepLosses.get(stepLosses.size() - 1);
    }

    /** @return the mean loss over all steps (HF's {@code train_loss}) */
    public double trainLoss() {
        return stepLosses.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }

    /** @return non-padding tokens per second of training time */
    public double tokensPerSecond() {
        return trainSeconds > 0 ? tokens / trainSeconds : Double.NaN;
    }

    /** @return the numbers a {@link ComparisonReport} shows about training */
    public ComparisonReport.TrainingSummary summary() {
        return new ComparisonReport.TrainingSummary(globalStep, trainSeconds, tokensPerSecond(), tokens, finalLoss(),
                stopDetail);
    }
}
