package io.github.peft4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import io.github.peft4j.train.eval.EvalResult;
import io.github.peft4j.train.optim.LrSchedule;
import io.github.peft4j.train.optim.PeftOptimizer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The mutable state of one training run: the step, the histories, the best evaluation, the
 * timing; what a checkpoint saves and a resume restores, and what callbacks see as
 * {@link TrainerState} and {@link Progress}.
 */
final class TrainingRun {
    final int maxSteps;
    final LrSchedule schedule;
    final DataOrder order;
    int step;
    long tokensSeen;
    double priorSeconds;
    double bestEvalLoss = Double.NaN;
    int bestStep = -1;
    int evalsWithoutImprovement;
    int lastLoggedStep;
    double lastLr;
    double lastGradNorm = Double.NaN;
    double lastEvalLoss = Double.NaN;
    Path lastCheckpoint;
    /** The base model's general-text evaluation, the reference of the forgetting ratio; null without general text. */
    EvalResult baseGeneral;
    /** Evaluations in a row whose general-text perplexity was above the forgetting budget. */
    int evalsOverBudget;
    /** The general-text evaluations, at the steps of {@link #evalHistory}. */
    final List<EvalPoint> generalHistory = new ArrayList<>();
    final List<Double> lossHistory = new ArrayList<>();
    /**
     * The objective's metrics of the steps since the last log line (of this process: a resumed
     * run's first line averages them from the resume on, its loss from the last logged step).
     */
    private final Map<String, List<Double>> windowMetrics = new java.util.TreeMap<>();
    final List<EvalPoint> evalHistory = new ArrayList<>();
    /** The weights of the best evaluation, kept in memory for {@code load_best_model_at_end}. */
    final Map<Parameter, NDArray> bestSnapshot = new IdentityHashMap<>();
    private long startNanos = System.nanoTime();
    private int startStep;
    private long startTokens;

    TrainingRun(int maxSteps, LrSchedule schedule, DataOrder order) {
        this.maxSteps = maxSteps;
        this.schedule = schedule;
        this.order = order;
    }

    /** Starts the clock of this process's part of the run. */
    void start() {
        startNanos = System.nanoTime();
        startStep = step;
        startTokens = tokensSeen;
    }

    /**
     * Continues where a checkpoint stopped.
     *
     * @param st the checkpoint's state
     * @param logSteps the logging interval, so that the next log line averages from the last logged step
     */
    void restore(CheckpointState st, int logSteps) {
        order.seek(st.dataEpoch(), st.dataBatch());
        step = st.globalStep();
        tokensSeen = st.tokensSeen();
        priorSeconds = st.trainSeconds();
        bestEvalLoss = st.bestEvalLoss();
        bestStep = st.bestStep();
        evalsWithoutImprovement = st.evalsWithoutImprovement();
        evalsOverBudget = st.evalsOverBudget();
        lossHistory.addAll(st.lossHistory());
        evalHistory.addAll(st.evalHistory());
        lastLoggedStep = step - step % logSteps;
    }

    /**
     * @param seed the training seed
     * @param trainSize the number of training sequences
     * @param optimizer the optimizer
     * @return what a checkpoint of this step saves
     */
    CheckpointState checkpointState(long seed, int trainSize, PeftOptimizer optimizer) {
        return new CheckpointState(step, maxSteps, seed, order.epoch(), order.batch(), trainSize, optimizer.name(),
                optimizer.stepCount(), tokensSeen, elapsedSeconds(), bestEvalLoss, bestStep, evalsWithoutImprovement,
                evalsOverBudget, schedule, Seeds.engineSeed(seed, step), lossHistory, evalHistory);
    }

    /** Records a finished optimizer step. */
    void stepDone(double loss, double lr, double gradNorm, long tokens, Map<String, Double> metrics) {
        step++;
        metrics.forEach((k, v) -> windowMetrics.computeIfAbsent(k, x -> new ArrayList<>()).add(v));
        lastLr = lr;
        lastGradNorm = gradNorm;
        tokensSeen += tokens;
        lossHistory.add(loss);
    }

    /** @return the mean step loss since the last log line, which it marks as logged */
    double takeLogWindowMean() {
        // lossHistory holds every step from step 1: the steps since the last log line are at the end
        List<Double> window = lossHistory.subList(lastLoggedStep, lossHistory.size());
        lastLoggedStep = step;
        return window.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }

    /** @return the mean of each objective metric since the last log line; the window starts again */
    Map<String, Double> takeLogWindowMetrics() {
        Map<String, Double> out = new java.util.LinkedHashMap<>();
        windowMetrics.forEach((k, v) -> out.put(k, v.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN)));
        windowMetrics.clear();
        return out;
    }

    double elapsedSeconds() {
        return priorSeconds + (System.nanoTime() - startNanos) / 1e9;
    }

    double lastLoss() {
        return lossHistory.isEmpty() ? Double.NaN : lossHistory.get(lossHistory.size() - 1);
    }

    double tokensPerSecond() {
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        return seconds > 0 ? (tokensSeen - startTokens) / seconds : Double.NaN;
    }

    TrainerState state() {
        return new TrainerState(step, maxSteps, order.epochProgress(), lastLoss(), lastLr, lastGradNorm, tokensSeen,
                bestEvalLoss, bestStep, elapsedSeconds());
    }

    Progress progress(boolean finished) {
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        int done = step - startStep;
        long etaSeconds = done > 0 ? Math.round(seconds / done * (maxSteps - step)) : 0;
        return new Progress(step, maxSteps, lastLoss(), lastLr, tokensPerSecond(),
                Duration.ofSeconds(finished ? 0 : etaSeconds), lastEvalLoss, finished);
    }
}
