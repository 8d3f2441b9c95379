/**
 * P-tuning, PEFT's {@code tuners/p_tuning}: {@link io.github.peft4j.prefix.ptuning.PromptEncoderConfig},
 * its method and its MLP or LSTM prompt encoder (saved as its output only).
 *
 * <pre>{@code
 * PeftModel model = PeftModel.create(gpt2, PromptEncoderConfig.builder().numVirtualTokens(20).build());
 * }</pre>
 */
package io.github.peft4j.prefix.ptuning;
