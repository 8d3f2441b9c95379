/**
 * Prompt-learning methods in Hugging Face PEFT's format: prompt tuning ({@link
 * io.github.peft4j.prefix.PromptTuningConfig}), prefix tuning ({@link
 * io.github.peft4j.prefix.PrefixTuningConfig}) and P-tuning ({@link
 * io.github.peft4j.prefix.PromptEncoderConfig}). Each is a {@link io.github.peft4j.core.PeftMethod}
 * found through {@link java.util.ServiceLoader}, used through {@link io.github.peft4j.core.PeftModel};
 * {@link io.github.peft4j.prefix.PromptAdapters} runs a named prompt adapter per call, for serving
 * several adapters from several threads.
 *
 * <pre>{@code
 * PeftModel model = PeftModel.create(llama, PrefixTuningConfig.builder().numVirtualTokens(30).build());
 * // ... train ...
 * model.save(Path.of("adapters/prefix")); // adapter_config.json + adapter_model.safetensors (prompt_embeddings)
 * }</pre>
 */
package io.github.peft4j.prefix;
