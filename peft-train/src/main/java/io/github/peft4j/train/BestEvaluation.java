package io.github.peft4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import io.github.peft4j.train.eval.EvalResult;
import io.github.peft4j.core.tuner.NoGrad;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The best evaluation of a run, as HF's Trainer keeps it: early stopping
 * ({@code early_stopping_patience}, {@code early_stopping_threshold}) and
 * {@code load_best_model_at_end}, from an in-memory snapshot or, after a resume, from the best
 * checkpoint.
 *
 * <p>With a forgetting budget ({@code max_forgetting}) only evaluations whose general-text
 * perplexity stays within the budget (as a multiple of the base model's) can be the best, the best
 * is always loaded at the end, and {@code forgetting_patience} evaluations in a row over the budget
 * stop the training: later steps would only forget more.
 */
// NoGrad is held for its effect on the ops inside the block
@SuppressWarnings("try")
final class BestEvaluation {

    private static final Logger LOG = LoggerFactory.getLogger(BestEvaluation.class);

    private final TrainingArguments args;

    BestEvaluation(TrainingArguments args) {
        this.args = args;
    }

    /** @return whether a run with these arguments ends with the weights of its best evaluation */
    static boolean loadsBest(TrainingArguments args) {
        return args.loadBestModelAtEnd() || args.maxForgetting() > 0;
    }

    /**
     * @param base the base model's general-text evaluation, or {@code null}
     * @param general the general-text evaluation, or {@code null}
     * @return general-text perplexity over the base's, NaN when either is missing
     */
    static double forgettingRatio(EvalResult base, EvalResult general) {
        return base == null || general == null ? Double.NaN : Math.exp(general.loss() - base.loss());
    }

    /**
     * Records an evaluation.
     *
     * @param run the run
     * @param r the domain evaluation at {@code run.step}
     * @param general the general-text evaluation at {@code run.step}, or {@code null}
     * @param params the trained parameters, snapshot when this is the best and will be loaded at the end
     * @param manager the manager of the snapshot
     * @return whether training should stop: the patience is exhausted or the forgetting budget was
     *     exceeded {@code forgetting_patience} times in a row
     */
    boolean record(TrainingRun run, EvalResult r, EvalResult general, List<Parameter> params, NDManager manager) {
        run.evalHistory.add(new EvalPoint(run.step, r));
        run.lastEvalLoss = r.loss();
        if (general != null) {
            run.generalHistory.add(new EvalPoint(run.step, general));
        }
        boolean within = withinBudget(forgettingRatio(run.baseGeneral, general));
        run.evalsOverBudget = within ? 0 : run.evalsOverBudget + 1;
        if (within && (Double.isNaN(run.bestEvalLoss) || r.loss() < run.bestEvalLoss - args.earlyStoppingThreshold())) {
            run.bestEvalLoss = r.loss();
            run.bestStep = run.step;
            run.evalsWithoutImprovement = 0;
            if (loadsBest(args)) {
                snapshot(run, params, manager);
            }
        } else {
            run.evalsWithoutImprovement++;
        }
        return (args.earlyStoppingPatience() > 0 && run.evalsWithoutImprovement >= args.earlyStoppingPatience())
                || overBudgetTooLong(run);
    }

    private boolean withinBudget(double ratio) {
        // no budget, or no general text to measure it on: every evaluation is eligible
        return args.maxForgetting() <= 0 || Double.isNaN(ratio) || ratio <= args.maxForgetting();
    }

    private boolean overBudgetTooLong(TrainingRun run) {
        return args.maxForgetting() > 0 && run.evalsOverBudget >= args.forgettingPatience();
    }

    /** @return why training stopped early, for the result */
    String stopDetail(TrainingRun run) {
        String best = run.bestStep < 0 ? "no evaluation was within the budget"
                : "best " + run.bestEvalLoss + " at step " + run.bestStep;
        if (overBudgetTooLong(run)) {
            return String.format(Locale.ROOT, "general-text perplexity above the forgetting budget (%.2fx the base)"
                    + " for %d evaluations (%s)", args.maxForgetting(), run.evalsOverBudget, best);
        }
        return "eval loss did not improve for " + args.earlyStoppingPatience() + " evaluations (" + best + ")";
    }

    private static void snapshot(TrainingRun run, List<Parameter> params, NDManager manager) {
        for (Parameter p : params) {
            NDArray w = p.getArray();
            NDArray copy = run.bestSnapshot.computeIfAbsent(p,
                    k -> manager.create(w.getShape(), w.getDataType(), w.getDevice()));
            w.copyTo(copy);
        }
    }

    /**
     * Puts the weights of the best evaluation back, if it was not the last step.
     *
     * @param run the run
     * @param params the trained parameters
     * @param model the model, to load the best checkpoint into when no snapshot was taken
     */
    void restoreBest(TrainingRun run, List<Parameter> params, TrainableModel model) {
        if (run.bestStep < 0) {
            if (args.maxForgetting() > 0) {
                LOG.warn("max_forgetting {}: no evaluation was within the budget; keeping the last weights",
                        args.maxForgetting());
            }
            return;
        }
        if (run.bestStep == run.step) {
            return;
        }
        if (!run.bestSnapshot.isEmpty()) {
            try (NoGrad off = NoGrad.enter(params.get(0).getArray().getManager().getEngine())) {
                for (Parameter p : params) {
                    run.bestSnapshot.get(p).copyTo(p.getArray());
                }
            }
            LOG.info("restored the weights of the best evaluation (step {}, eval loss {})", run.bestStep,
                    run.bestEvalLoss);
            return;
        }
        Path best = args.outputDir().resolve(Checkpoints.PREFIX + run.bestStep);
        if (Files.isDirectory(best)) {
            model.load(best);
            LOG.info("restored the weights of the best evaluation from {}", best);
        } else {
            LOG.warn("load_best_model_at_end: the best step {} was before the resumed checkpoint and has no"
                    + " checkpoint; keeping the last weights", run.bestStep);
        }
    }
}
