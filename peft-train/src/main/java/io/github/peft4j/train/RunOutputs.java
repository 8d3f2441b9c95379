package io.github.peft4j.train;

import io.github.peft4j.core.files.AtomicFiles;
import io.github.peft4j.core.io.PythonJson;
import io.github.peft4j.train.eval.EvalResult;
import io.github.peft4j.train.eval.ObjectiveResult;
import io.github.peft4j.train.eval.LossPlot;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a run writes besides checkpoints, keyed as the Hugging Face Trainer logs it: the lines of
 * {@code metrics.jsonl}, {@code loss.svg} and {@code train_result.json}.
 */
final class RunOutputs {

    private RunOutputs() {}

    /** @return the log line of a step: the mean loss since the last line, rate, norm, throughput */
    static Map<String, Object> logEntry(TrainingRun run) {
        Map<String, Object> entry = stepEntry(run);
        entry.put("loss", run.takeLogWindowMean());
        entry.putAll(run.takeLogWindowMetrics());
        entry.put("learning_rate", run.lastLr);
        entry.put("grad_norm", run.lastGradNorm);
        entry.put("tokens_per_second", run.tokensPerSecond());
        return entry;
    }

    /**
     * @return the line of an evaluation, its metrics prefixed {@code eval_}, the general-text ones
     *     {@code general_} with {@code general_perplexity_ratio} (to the base model's)
     */
    static Map<String, Object> evalEntry(TrainingRun run, ObjectiveResult r, EvalResult general) {
        Map<String, Object> entry = stepEntry(run);
        entry.putAll(r.toMap("eval_"));
        if (general != null) {
            entry.putAll(general.toMap("general_"));
            entry.put("general_perplexity_ratio", BestEvaluation.forgettingRatio(run.baseGeneral, general));
        }
        return entry;
    }

    /** @return the line of the base model's general-text evaluation, at step 0 */
    static Map<String, Object> baseGeneralEntry(TrainingRun run) {
        Map<String, Object> entry = stepEntry(run);
        entry.putAll(run.baseGeneral.toMap("general_base_"));
        return entry;
    }

    /** @return the last line of {@code metrics.jsonl} */
    static Map<String, Object> finalEntry(TrainingRun run, TrainResult result) {
        Map<String, Object> entry = stepEntry(run);
        entry.put("train_loss", result.trainLoss());
        entry.put("train_runtime", result.trainSeconds());
        entry.put("train_tokens_per_second", result.tokensPerSecond());
        entry.put("stop_reason", result.stopReason().name().toLowerCase(Locale.ROOT));
        return entry;
    }

    private static Map<String, Object> stepEntry(TrainingRun run) {
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("step", run.step);
        entry.put("epoch", run.order.epochProgress());
        return entry;
    }

    /** Writes {@code train_result.json}: the final line plus how the run ended. */
    static void writeResult(Path outputDir, Map<String, Object> finalEntry, TrainingRun run, TrainResult result,
            Path resumedFrom) {
        Map<String, Object> summary = new LinkedHashMap<>(finalEntry);
        summary.put("stop_detail", result.stopDetail());
        summary.put("best_eval_loss", Double.isFinite(run.bestEvalLoss) ? run.bestEvalLoss : null);
        summary.put("best_step", run.bestStep);
        run.generalHistory.stream().filter(p -> p.step() == run.bestStep).findFirst().ifPresent(p -> summary.put(
                "best_general_perplexity_ratio", BestEvaluation.forgettingRatio(run.baseGeneral, p.result())));
        summary.put("tokens", run.tokensSeen);
        summary.put("resumed_from", resumedFrom == null ? null : resumedFrom.toString());
        AtomicFiles.write(outputDir.resolve(PeftTrainer.RESULT_FILE),
                (PythonJson.write(PythonJson.mapper().valueToTree(summary)) + "\n").getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Writes {@code loss.svg}: the loss of every step (and smoothed), the eval losses (domain and
     * general text), the learning rate.
     */
    static void writePlot(Path outputDir, TrainingRun run) {
        List<LossPlot.Point> train = new ArrayList<>();
        List<LossPlot.Point> rates = new ArrayList<>();
        for (int i = 0; i < run.lossHistory.size(); i++) {
            train.add(new LossPlot.Point(i + 1, run.lossHistory.get(i)));
            // the schedule is a function of the step: step i + 1 ran at the rate of i updates done
            rates.add(new LossPlot.Point(i + 1, run.schedule.learningRate(i)));
        }
        List<LossPlot.Point> eval = run.evalHistory.stream()
                .map(p -> new LossPlot.Point(p.step(), p.result().loss())).toList();
        List<LossPlot.Point> general = run.generalHistory.stream()
                .map(p -> new LossPlot.Point(p.step(), p.result().loss())).toList();
        LossPlot.write(outputDir.resolve(PeftTrainer.PLOT_FILE), train, eval, general, rates);
    }
}
