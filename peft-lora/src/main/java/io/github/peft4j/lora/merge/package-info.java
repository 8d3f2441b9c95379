/**
 * PEFT's {@code add_weighted_adapter}: {@link io.github.peft4j.lora.merge.LoraCombination} with the
 * TIES / DARE / magnitude-pruning task merging it uses.
 *
 * <pre>{@code
 * LoraCombination.addWeightedAdapter(model, List.of("sql", "chat"), new double[] {0.7, 0.3}, "mix",
 *         LoraCombination.CombinationType.CAT);
 * }</pre>
 */
package io.github.peft4j.lora.merge;
