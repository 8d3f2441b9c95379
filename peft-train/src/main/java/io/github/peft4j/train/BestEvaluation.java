package io.github.peft4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import io.github.peft4j.train.eval.EvalResult;
import io.github.peft4j.train.optim.NoGrad;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The best evaluation of a run, as HF's Trainer keeps it: early stopping
 * ({@code early_stopping_patience}, {@code early_stopping_threshold}) and
 * {@code load_best_model_at_end}, from an in-memory snapshot or, after a resume, from the best
 * checkpoint.
 */
// NoGrad is held for its effect on the ops inside the block
@SuppressWarnings("try")
final class BestEvaluation {

    private static final Logger LOG = LoggerFactory.getLogger(BestEvaluation.class);

    private final TrainingArguments args;

    BestEvaluation(TrainingArguments args) {
        this.args = args;
    }

    /**
     * Records an evaluation.
     *
     * @param run the run
     * @param r the evaluation at {@code run.step}
     * @param params the trained parameters, snapshot when this is the best and will be loaded at the end
     * @param manager the manager of the snapshot
     * @return whether the patience is exhausted and training should stop
     */
    boolean record(TrainingRun run, EvalResult r, List<Parameter> params, NDManager manager) {
        run.evalHistory.add(new EvalPoint(run.step, r));
        run.lastEvalLoss = r.loss();
        if (Double.isNaN(run.bestEvalLoss) || r.loss() < run.bestEvalLoss - args.earlyStoppingThreshold()) {
            run.bestEvalLoss = r.loss();
            run.bestStep = run.step;
            run.evalsWithoutImprovement = 0;
            if (args.loadBestModelAtEnd()) {
                snapshot(run, params, manager);
            }
        } else {
            run.evalsWithoutImprovement++;
        }
        return args.earlyStoppingPatience() > 0 && run.evalsWithoutImprovement >= args.earlyStoppingPatience();
    }

    /** @return why training stopped early, for the result */
    String stopDetail(TrainingRun run) {
        return "eval loss did not improve for " + args.earlyStoppingPatience() + " evaluations (best "
                + run.bestEvalLoss + " at step " + run.bestStep + ")";
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
        if (run.bestStep < 0 || run.bestStep == run.step) {
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
