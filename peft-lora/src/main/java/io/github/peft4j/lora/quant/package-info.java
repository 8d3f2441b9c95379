/**
 * A quantized frozen base for LoRA (QLoRA-style): {@link io.github.peft4j.lora.quant.Quantizer} turns a
 * model's linear layers into {@link io.github.peft4j.lora.quant.QuantizedLinear} blocks (int8 per output
 * channel, or NF4 in blocks of 64 with optional double quantization), LoRA wraps them like any linear
 * layer, and {@link io.github.peft4j.lora.quant.MemoryReport} counts the bytes. The PyTorch engine has
 * no quantized kernels: quantization here saves memory, and forward dequantizes each layer on the fly.
 *
 * <pre>{@code
 * Quantizer.quantize(base.block(), QuantizationConfig.builder().type(QuantizationType.NF4).doubleQuant(true).build());
 * try (PeftModel model = PeftModel.create(base.block(), LoraConfig.builder().targetModules("all-linear").build())) {
 *     // train model.trainableParameters(), then
 *     Block merged = model.mergeAndUnload();     // F32 layers with the adapter folded in
 * }
 * }</pre>
 */
package io.github.peft4j.lora.quant;
