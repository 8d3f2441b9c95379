package io.github.peft4j.train.eval;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An evaluation of a training objective: the loss, perplexity and accuracy of an
 * {@link EvalResult}, and the objective's own metrics ({@code rewards/accuracies} of DPO...), each
 * averaged over the items.
 *
 * <pre>{@code
 * ObjectiveResult r = Evaluator.evaluate(model, pairs, 8, dpo, manager);
 * System.out.println(r.toMap("eval_"));   // {eval_loss=..., eval_rewards/accuracies=..., ...}
 * }</pre>
 *
 * @param result loss, perplexity, accuracy and item count
 * @param metrics the objective's metrics by name
 */
public record ObjectiveResult(EvalResult result, Map<String, Double> metrics) {

    /** Copies the metrics. */
    public ObjectiveResult {
        metrics = Map.copyOf(new java.util.TreeMap<>(metrics));
    }

    /**
     * @param prefix the key prefix, {@code eval_} as in the HF Trainer
     * @return {@link EvalResult#toMap} followed by the metrics, sorted by name
     */
    public Map<String, Object> toMap(String prefix) {
        Map<String, Object> out = new LinkedHashMap<>(result.toMap(prefix));
        new java.util.TreeMap<>(metrics).forEach((k, v) -> out.put(prefix + k, v));
        return out;
    }
}
