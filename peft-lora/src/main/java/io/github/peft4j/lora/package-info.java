/**
 * LoRA and its variants, byte-compatible with Hugging Face PEFT's {@code tuners/lora}: a
 * {@link io.github.peft4j.lora.LoraConfig} with PEFT's fields and the
 * {@link io.github.peft4j.lora.LoraMethod} registered for {@code peft_type} {@code "LORA"} here; the
 * layers and their variants (rsLoRA, DoRA, lora_bias) in {@code lora.layer}; the initialisations
 * (PiSSA, OLoRA, Gaussian) in {@code lora.init}; {@code add_weighted_adapter} in {@code lora.merge};
 * the QR/SVD they need in {@code lora.linalg}. Everything else goes through core's {@code PeftModel}.
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
