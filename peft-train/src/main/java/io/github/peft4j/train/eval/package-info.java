/**
 * Evaluation: loss, perplexity and token or class accuracy
 * ({@link io.github.peft4j.train.eval.Evaluator}), the base-vs-adapted
 * {@link io.github.peft4j.train.eval.ComparisonReport}, and the SVG loss plot.
 *
 * <pre>{@code
 * EvalResult r = Evaluator.evaluate(model, evalData, 8, new CausalLmLoss());
 * }</pre>
 */
package io.github.peft4j.train.eval;
