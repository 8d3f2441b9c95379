/**
 * Objectives whose reference is the trained model itself, run without gradient with its adapters
 * disabled (PEFT and TRL's trick: no second copy of the model) or with a frozen adapter in their
 * place: DPO and IPO on preference pairs ({@link io.github.peft4j.train.preference.DpoObjective}),
 * and a KL term to the base model's next-token distribution on general text against forgetting
 * ({@link io.github.peft4j.train.preference.KlToBaseObjective}).
 *
 * <pre>{@code
 * PeftTrainer.builder().model(peft).args(args).objective(DpoObjective.builder().beta(0.1).build())
 *         .trainDataset(prefs.train()).build().train();
 * }</pre>
 */
package io.github.peft4j.train.preference;
