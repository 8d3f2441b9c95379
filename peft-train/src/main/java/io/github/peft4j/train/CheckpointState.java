package io.github.peft4j.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.peft4j.core.PeftFormatException;
import io.github.peft4j.core.io.PythonJson;
import io.github.peft4j.train.eval.EvalResult;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The trainer's side of a checkpoint ({@code trainer_state.json}): step, data position, seed,
 * histories and early-stopping bookkeeping. The learning-rate schedule is a pure function of the
 * step and the engine's RNG is re-seeded from (seed, step) every step, so nothing else is needed to
 * continue exactly.
 */
record CheckpointState(
        int globalStep,
        int maxSteps,
        long seed,
        int dataEpoch,
        int dataBatch,
        int trainSize,
        String optimizer,
        long optimizerStep,
        long tokensSeen,
        double trainSeconds,
        double bestEvalLoss,
        int bestStep,
        int evalsWithoutImprovement,
        List<Double> lossHistory,
        List<EvalPoint> evalHistory) {

    static final String FILE = "trainer_state.json";

    CheckpointState {
        lossHistory = List.copyOf(lossHistory);
        evalHistory = List.copyOf(evalHistory);
    }

    String toJson() {
        ObjectNode n = PythonJson.mapper().createObjectNode();
        n.put("global_step", globalStep);
        n.put("max_steps", maxSteps);
        n.put("seed", seed);
        n.put("data_epoch", dataEpoch);
        n.put("data_batch", dataBatch);
        n.put("train_size", trainSize);
        n.put("optimizer", optimizer);
        n.put("optimizer_step", optimizerStep);
        n.put("tokens_seen", tokensSeen);
        n.put("train_seconds", trainSeconds);
        putNullable(n, "best_eval_loss", bestEvalLoss);
        n.put("best_step", bestStep);
        n.put("evals_without_improvement", evalsWithoutImprovement);
        ArrayNode losses = n.putArray("loss_history");
        for (double l : lossHistory) {
            losses.add(l);
        }
        ArrayNode evals = n.putArray("eval_history");
        for (EvalPoint p : evalHistory) {
            ObjectNode e = evals.addObject();
            e.put("step", p.step());
            putNullable(e, "loss", p.result().loss());
            putNullable(e, "perplexity", p.result().perplexity());
            putNullable(e, "accuracy", p.result().accuracy());
            e.put("items", p.result().items());
            e.put("token_level", p.result().tokenLevel());
        }
        return PythonJson.write(n) + "\n";
    }

    private static void putNullable(ObjectNode n, String key, double v) {
        if (Double.isFinite(v)) {
            n.put(key, v);
        } else {
            n.putNull(key);
        }
    }

    static CheckpointState fromJson(JsonNode n, Path file) {
        List<Double> losses = new ArrayList<>();
        for (JsonNode l : require(n, "loss_history", file)) {
            losses.add(l.isNull() ? Double.NaN : l.doubleValue());
        }
        List<EvalPoint> evals = new ArrayList<>();
        for (JsonNode e : require(n, "eval_history", file)) {
            evals.add(new EvalPoint(require(e, "step", file).intValue(), new EvalResult(
                    nullable(e, "loss"), nullable(e, "perplexity"), nullable(e, "accuracy"),
                    require(e, "items", file).longValue(), require(e, "token_level", file).booleanValue())));
        }
        return new CheckpointState(
                require(n, "global_step", file).intValue(),
                require(n, "max_steps", file).intValue(),
                require(n, "seed", file).longValue(),
                require(n, "data_epoch", file).intValue(),
                require(n, "data_batch", file).intValue(),
                require(n, "train_size", file).intValue(),
                require(n, "optimizer", file).textValue(),
                require(n, "optimizer_step", file).longValue(),
                require(n, "tokens_seen", file).longValue(),
                require(n, "train_seconds", file).doubleValue(),
                nullable(n, "best_eval_loss"),
                require(n, "best_step", file).intValue(),
                require(n, "evals_without_improvement", file).intValue(),
                losses, evals);
    }

    private static JsonNode require(JsonNode n, String key, Path file) {
        JsonNode v = n.get(key);
        if (v == null) {
            throw new PeftFormatException(file, key, "missing; not a peft4j trainer state");
        }
        return v;
    }

    private static double nullable(JsonNode n, String key) {
        JsonNode v = n.get(key);
        return v == null || v.isNull() ? Double.NaN : v.doubleValue();
    }
}
