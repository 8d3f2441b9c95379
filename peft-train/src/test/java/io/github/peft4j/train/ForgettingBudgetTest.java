package io.github.peft4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.io.PythonJson;
import io.github.peft4j.train.eval.EvalResult;
import io.github.peft4j.train.optim.LrSchedule;
import io.github.peft4j.train.optim.Sgd;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The forgetting budget's choice of the best evaluation on synthetic histories: no model, no training. */
class ForgettingBudgetTest {

    private static final double BASE_GENERAL_LOSS = 3.0;

    /** One evaluation: the domain eval loss and the general-text perplexity as a multiple of the base's. */
    private record Eval(int step, double domainLoss, double generalRatio) {}

    private static TrainingRun run() {
        TrainingRun run = new TrainingRun(200, LrSchedule.of(LrSchedule.Type.CONSTANT, 1e-3, 0, 200),
                new DataOrder(16, 4, 1, false));
        run.baseGeneral = result(BASE_GENERAL_LOSS);
        return run;
    }

    private static EvalResult result(double loss) {
        return new EvalResult(loss, Math.exp(loss), Double.NaN, 100, true);
    }

    /** Feeds the history until the trainer would stop; returns the step it stopped at (or the last). */
    private static int replay(TrainingRun run, BestEvaluation best, List<Eval> history) {
        for (Eval e : history) {
            run.step = e.step();
            boolean stop = best.record(run, result(e.domainLoss()),
                    result(BASE_GENERAL_LOSS + Math.log(e.generalRatio())), List.of(), null);
            if (stop) {
                return e.step();
            }
        }
        return run.step;
    }

    private static TrainingArguments.Builder args() {
        return TrainingArguments.builder(Path.of("unused")).maxSteps(200).evalSteps(25);
    }

    // the domain keeps improving while general text is forgotten faster and faster
    private static final List<Eval> FORGETTING = List.of(
            new Eval(25, 4.0, 1.05), new Eval(50, 3.2, 1.20), new Eval(75, 2.9, 1.45), new Eval(100, 2.6, 1.70),
            new Eval(125, 2.5, 2.40), new Eval(150, 2.4, 3.90), new Eval(175, 2.35, 6.0), new Eval(200, 2.33, 9.8));

    @Test
    void choosesTheBestDomainLossWithinTheBudgetAndStopsAfterPatienceEvaluationsOverIt() {
        TrainingRun run = run();
        BestEvaluation best = new BestEvaluation(args().maxForgetting(1.5).forgettingPatience(2).build());
        int stoppedAt = replay(run, best, FORGETTING);
        assertEquals(75, run.bestStep, "step 75 (ratio 1.45) is the last within 1.5");
        assertEquals(2.9, run.bestEvalLoss, 0);
        assertEquals(125, stoppedAt, "over the budget at 100 and 125: two in a row");
        assertEquals(2, run.evalsOverBudget);
        assertTrue(best.stopDetail(run).startsWith("general-text perplexity above the forgetting budget (1.50x"),
                best.stopDetail(run));
        assertEquals(List.of(25, 50, 75, 100, 125), run.generalHistory.stream().map(EvalPoint::step).toList());
    }

    @Test
    void aResumedRunKeepsItsStreakOverTheBudget() throws Exception {
        TrainingArguments args = args().maxForgetting(1.5).forgettingPatience(2).build();
        TrainingRun before = run();
        replay(before, new BestEvaluation(args), FORGETTING.subList(0, 4));
        assertEquals(1, before.evalsOverBudget, "step 100 is the first evaluation over the budget");
        CheckpointState saved;
        try (NDManager m = NDManager.newBaseManager()) {
            saved = before.checkpointState(7, 16, Sgd.builder().build(List.of(), m));
        }
        String json = saved.toJson();
        assertTrue(json.contains("\"evals_over_budget\": 1"), json);

        TrainingRun resumed = run();
        resumed.restore(CheckpointState.fromJson(PythonJson.mapper().readTree(json), Path.of("trainer_state.json")), 1);
        int stoppedAt = replay(resumed, new BestEvaluation(args), FORGETTING.subList(4, FORGETTING.size()));
        assertEquals(125, stoppedAt, "as uninterrupted: 100 and 125 over the budget in a row");
        assertEquals(75, resumed.bestStep);
    }

    @Test
    void aTrainerStateFromBeforeTheBudgetReadsAsNoneOverIt() throws Exception {
        TrainingRun run = run();
        String json;
        try (NDManager m = NDManager.newBaseManager()) {
            json = run.checkpointState(7, 16, Sgd.builder().build(List.of(), m)).toJson();
        }
        ObjectNode old = (ObjectNode) PythonJson.mapper().readTree(json);
        old.remove("evals_over_budget");
        assertEquals(0, CheckpointState.fromJson(old, Path.of("trainer_state.json")).evalsOverBudget());
    }

    @Test
    void withoutABudgetTheLowestDomainLossWinsWhateverTheForgetting() {
        TrainingRun run = run();
        int stoppedAt = replay(run, new BestEvaluation(args().build()), FORGETTING);
        assertEquals(200, run.bestStep);
        assertEquals(200, stoppedAt);
    }

    @Test
    void anEvaluationBackWithinTheBudgetResetsTheStreakAndCanWin() {
        // replay pulls general text back: 100 is over, 125 within again and better on the domain
        List<Eval> history = List.of(new Eval(25, 4.0, 1.1), new Eval(50, 3.0, 1.4), new Eval(75, 2.8, 1.6),
                new Eval(100, 2.7, 1.3), new Eval(125, 2.6, 1.7), new Eval(150, 2.5, 1.8), new Eval(175, 2.0, 1.2));
        TrainingRun run = run();
        int stoppedAt = replay(run, new BestEvaluation(args().maxForgetting(1.5).forgettingPatience(2).build()), history);
        assertEquals(100, run.bestStep, "75 was over the budget; 100 is within and lower than 50");
        assertEquals(150, stoppedAt, "125 and 150 over the budget in a row; 175 is never reached");
    }

    @Test
    void noEvaluationWithinTheBudgetLeavesNoBestStep() {
        TrainingRun run = run();
        BestEvaluation best = new BestEvaluation(args().maxForgetting(1.0).forgettingPatience(3).build());
        int stoppedAt = replay(run, best, FORGETTING);
        assertEquals(-1, run.bestStep);
        assertEquals(75, stoppedAt);
        assertTrue(best.stopDetail(run).endsWith("(no evaluation was within the budget)"), best.stopDetail(run));
    }

    @Test
    void theBudgetIsCheckedAndRoundTripsThroughJson() {
        assertThrows(PeftConfigException.class, () -> args().maxForgetting(0.9));
        assertThrows(PeftConfigException.class, () -> args().forgettingPatience(0));
        assertThrows(PeftConfigException.class,
                () -> TrainingArguments.builder(Path.of("x")).maxForgetting(1.5).build(), "needs eval_steps");
        TrainingArguments a = args().maxForgetting(1.5).forgettingPatience(3).build();
        assertTrue(a.toJson().contains("\"max_forgetting\": 1.5"), a.toJson());
        TrainingArguments b = TrainingArguments.fromJson(a.toJson());
        assertEquals(1.5, b.maxForgetting());
        assertEquals(3, b.forgettingPatience());
        assertTrue(BestEvaluation.loadsBest(b));
        assertFalse(BestEvaluation.loadsBest(args().build()));
    }
}
