/**
 * Prompt-learning methods in Hugging Face PEFT's format, one package per method as PEFT's
 * {@code tuners/<method>/}: prompt tuning ({@link io.github.peft4j.prefix.prompttuning}), prefix
 * tuning ({@link io.github.peft4j.prefix.prefixtuning}) and P-tuning
 * ({@link io.github.peft4j.prefix.ptuning}). This package holds what they share: the config fields
 * ({@link io.github.peft4j.prefix.PromptLearningConfig}), the method
 * ({@link io.github.peft4j.prefix.PromptLearningMethod}) and its encoder
 * ({@link io.github.peft4j.prefix.BasePromptEncoder}); {@link io.github.peft4j.prefix.PromptAdapters}
 * runs a named prompt adapter per call, for serving several adapters from several threads.
 *
 * <pre>{@code
 * PeftModel model = PeftModel.create(llama, PrefixTuningConfig.builder().numVirtualTokens(30).build());
 * // ... train ...
 * model.save(Path.of("adapters/prefix")); // adapter_config.json + adapter_model.safetensors (prompt_embeddings)
 * }</pre>
 */
package io.github.peft4j.prefix;
