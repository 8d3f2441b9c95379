/**
 * Fine-tuning: {@link io.github.peft4j.train.PeftTrainer} trains the active adapter of a
 * {@link io.github.peft4j.core.PeftModel} (or any DJL block's trainable parameters) from
 * {@link io.github.peft4j.train.data.TokenizedDataset}s with the hyper-parameters of
 * {@link io.github.peft4j.train.TrainingArguments}, writing the adapter, checkpoints,
 * {@code metrics.jsonl} and {@code loss.svg}.
 *
 * <pre>{@code
 * TrainResult r = PeftTrainer.builder().model(model).args(args).trainDataset(train).evalDataset(eval).build().train();
 * }</pre>
 */
package io.github.peft4j.train;
