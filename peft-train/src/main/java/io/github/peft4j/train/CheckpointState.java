package io.github.peft4j.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.peft4j.core.PeftFormatException;
import io.github.peft4j.core.io.PythonJson;
import io.github.peft4j.train.eval.EvalResult;
import io.github.peft4j.train.optim.LrSchedule;
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
        int evalsOverBudget,
        LrSchedule schedule,
        int nextEngineSeed,
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
        n.put("evals_over_budget", evalsOverBudget);
        ObjectNode lr = n.putObject("lr_scheduler");
        lr.put("type", schedule.type().name().toLowerCase(java.util.Locale.ROOT));
        lr.put("base_learning_rate", schedule.baseLearningRate());
        lr.put("warmup_steps", schedule.warmupSteps());
        lr.put("total_steps", schedule.totalSteps());
        lr.put("last_learning_rate", schedule.learningRate(Math.max(0, globalStep - 1)));
        // the engine is re-seeded with seed_for(seed, step) before each step: this is the next one
        n.putObject("rng").put("seed", seed).put("next_engine_seed", nextEngineSeed);
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
                // absent in states written before the forgetting budget: none was over it then
                n.path("evals_over_budget").asInt(0),
                schedule(require(n, "lr_scheduler", file), file),
                require(n, "rng", file).path("next_engine_seed").intValue(),
                losses, evals);
    }

    private static LrSchedule schedule(JsonNode n, Path file) {
        String type = require(n, "type", file).asText();
        try {
            return LrSchedule.of(LrSchedule.Type.valueOf(type.toUpperCase(java.util.Locale.ROOT)),
                    require(n, "base_learning_rate", file).doubleValue(), require(n, "warmup_steps", file).intValue(),
                    require(n, "total_steps", file).intValue());
        } catch (IllegalArgumentException e) {
            throw new PeftFormatException(file, "lr_scheduler.type", "unknown schedule '" + type
                    + "'; expected constant, linear or cosine");
        }
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
