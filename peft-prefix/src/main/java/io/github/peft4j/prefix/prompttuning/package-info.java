/**
 * Prompt tuning, PEFT's {@code tuners/prompt_tuning}: {@link io.github.peft4j.prefix.prompttuning.PromptTuningConfig},
 * its method and its embedding table, initialised at random, from the vocabulary or from a text.
 *
 * <pre>{@code
 * PeftModel model = PeftModel.create(llama, PromptTuningConfig.builder().numVirtualTokens(20).build());
 * }</pre>
 */
package io.github.peft4j.prefix.prompttuning;
