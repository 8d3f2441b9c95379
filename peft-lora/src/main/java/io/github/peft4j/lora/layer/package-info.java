/**
 * LoRA layers, PEFT's {@code lora/layer.py} and {@code lora/variants.py}: {@link io.github.peft4j.lora.layer.LoraLayer}
 * (an additive tuner layer of peft-core) for linear and embedding modules, each adapter computed by its
 * variant (plain LoRA or DoRA), a linear layer's base full precision or quantized.
 *
 * <pre>{@code
 * LoraLinear q = (LoraLinear) model.modules().get("model.layers.0.self_attn.q_proj");
 * NDArray delta = q.deltaWeight("default"); // scaling·B·A in the base weight's layout
 * }</pre>
 */
package io.github.peft4j.lora.layer;
