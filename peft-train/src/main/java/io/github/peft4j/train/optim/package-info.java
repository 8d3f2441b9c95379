/**
 * Optimizers with torch's exact updates (AdamW, SGD), learning-rate schedules with warmup,
 * global-norm gradient clipping and the weight-decay exclusion rule.
 *
 * <pre>{@code
 * AdamW adam = AdamW.builder().weightDecay(0.01).build(params, stateManager);
 * }</pre>
 */
package io.github.peft4j.train.optim;
