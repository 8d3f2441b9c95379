package io.github.peft4j.train;

import io.github.peft4j.train.eval.EvalResult;

/**
 * An evaluation made during training.
 *
 * <pre>{@code
 * for (EvalPoint p : result.evalHistory()) System.out.println(p.step() + " " + p.result().loss());
 * }</pre>
 *
 * @param step the optimizer step after which it was made
 * @param result the metrics
 */
public record EvalPoint(int step, EvalResult result) {}
