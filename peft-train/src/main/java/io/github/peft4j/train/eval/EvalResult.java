package io.github.peft4j.train.eval;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Metrics of a model on an evaluation set: the mean loss over scored items, the perplexity
 * ({@code exp(loss)}, for language models) and the accuracy (token accuracy for language models,
 * row accuracy for classification).
 *
 * <pre>{@code
 * EvalResult r = Evaluator.evaluate(model, evalData, 8, new CausalLmLoss());
 * System.out.printf("loss %.3f, perplexity %.1f, token accuracy %.1f%%%n", r.loss(), r.perplexity(), 100 * r.accuracy());
 * }</pre>
 *
 * @param loss the mean loss per scored item
 * @param perplexity {@code exp(loss)} for token-level losses, NaN otherwise
 * @param accuracy the share of items predicted right, NaN if the loss has no accuracy
 * @param items the number of scored items (tokens or rows)
 * @param tokenLevel whether items are tokens
 */
public record EvalResult(double loss, double perplexity, double accuracy, long items, boolean tokenLevel) {

    /**
     * @param prefix the key prefix, {@code eval_} as in the HF Trainer
     * @return the metrics keyed as the Hugging Face Trainer logs them
     */
    public Map<String, Object> toMap(String prefix) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put(prefix + "loss", loss);
        if (tokenLevel) {
            out.put(prefix + "perplexity", perplexity);
        }
        if (!Double.isNaN(accuracy)) {
            out.put(prefix + (tokenLevel ? "token_accuracy" : "accuracy"), accuracy);
        }
        out.put(prefix + (tokenLevel ? "tokens" : "examples"), items);
        return out;
    }
}
