/**
 * Adapter tuners from AdapterHub and Hugging Face PEFT: bottleneck adapters (Houlsby, Pfeiffer,
 * parallel) with Stack/Average composition ({@link io.github.peft4j.adapters.bottleneck}) and
 * (IA)³ ({@link io.github.peft4j.adapters.ia3}). Each is a {@link io.github.peft4j.core.PeftMethod}
 * found through the service loader, used through {@link io.github.peft4j.core.PeftModel}.
 *
 * <pre>{@code
 * PeftModel model = PeftModel.create(bert, BottleneckConfig.builder().preset("houlsby").build());
 * PeftModel ia3 = PeftModel.create(llama, Ia3Config.builder().build()); // PEFT's defaults for llama
 * }</pre>
 */
package io.github.peft4j.adapters;
