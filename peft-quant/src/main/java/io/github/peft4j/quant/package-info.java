/**
 * Quantized frozen base models (QLoRA-style storage): {@link io.github.peft4j.quant.Quantizer} turns a
 * model's linear layers into {@link io.github.peft4j.quant.QuantizedLinear} blocks (int8 per output
 * channel, or NF4 in blocks of 64 with optional double quantization), also while a checkpoint loads
 * ({@link io.github.peft4j.quant.Quantizer#atLoad}), and {@link io.github.peft4j.quant.MemoryReport}
 * counts the bytes. The module depends on peft-core only: a quantized layer is core's
 * {@code DequantizableLinear}, which is how a tuner (LoRA's {@code LoraLinear} today) recognises and
 * wraps it without depending on this module; a quantized base also serves frozen inference with no tuner.
 * The PyTorch engine has no quantized kernels: quantization here saves memory, and forward dequantizes
 * each layer on the fly.
 *
 * <pre>{@code
 * Quantizer.quantize(base.block(), QuantizationConfig.builder().type(QuantizationType.NF4).doubleQuant(true).build());
 * try (PeftModel model = PeftModel.create(base.block(), LoraConfig.builder().targetModules("all-linear").build())) {
 *     // train model.trainableParameters(), then
 *     Block merged = model.mergeAndUnload();     // F32 layers with the adapter folded in
 * }
 * }</pre>
 */
package io.github.peft4j.quant;
