/**
 * Training losses: causal-LM cross-entropy with Hugging Face's shift and ignore index, sequence
 * classification cross-entropy, and the {@link io.github.peft4j.train.loss.TrainingLoss} interface
 * for one's own.
 *
 * <pre>{@code
 * NDArray loss = new CausalLmLoss().compute(new NDList(logits), labels);
 * }</pre>
 */
package io.github.peft4j.train.loss;
