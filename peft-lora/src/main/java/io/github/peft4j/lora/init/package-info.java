/**
 * LoRA initialisations, PEFT's {@code init_lora_weights}: {@link io.github.peft4j.lora.init.InitLoraWeights}
 * (the config value) and {@link io.github.peft4j.lora.init.LoraInit} (Kaiming/Gaussian, PiSSA, OLoRA).
 *
 * <pre>{@code
 * LoraConfig c = LoraConfig.builder().initLoraWeights(InitLoraWeights.PISSA).targetModules("q_proj").build();
 * }</pre>
 */
package io.github.peft4j.lora.init;
