/**
 * LoRA and its variants, byte-compatible with Hugging Face PEFT's {@code tuners/lora}: a
 * {@link io.github.peft4j.lora.LoraConfig} with PEFT's fields, {@link io.github.peft4j.lora.LoraLinear}
 * and {@link io.github.peft4j.lora.LoraEmbedding} layers (rsLoRA, DoRA, lora_bias, PiSSA, OLoRA,
 * Gaussian initialisation), the {@link io.github.peft4j.lora.LoraMethod} registered for
 * {@code peft_type} {@code "LORA"}, and {@link io.github.peft4j.lora.LoraCombination} for
 * {@code add_weighted_adapter}. Everything else goes through core's {@code PeftModel}.
 *
 * <pre>{@code
 * PeftModel model = PeftModel.create(base, LoraConfig.builder().r(16).loraAlpha(32)
 *         .targetModules("q_proj", "v_proj").build());
 * // ... train model.trainableParameters() ...
 * model.save(Path.of("adapters/sql"));                       // adapter_config.json + adapter_model.safetensors
 * PeftModel again = PeftModel.fromPretrained(freshBase, Path.of("adapters/sql"));
 * Block merged = again.mergeAndUnload();                     // the base model with the adapter folded in
 * }</pre>
 */
package io.github.peft4j.lora;
