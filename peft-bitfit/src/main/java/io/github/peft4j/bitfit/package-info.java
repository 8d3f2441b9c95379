/**
 * Tuners that train a model's own small tensors, each on a copy so the base model stays intact:
 * BitFit (bias terms, {@link io.github.peft4j.bitfit.BitFitConfig}) and LN-tuning (norm layers,
 * {@link io.github.peft4j.bitfit.lntuning.LnTuningConfig}). Both are
 * {@link io.github.peft4j.core.PeftMethod}s used through {@link io.github.peft4j.core.PeftModel}.
 *
 * <pre>{@code
 * PeftModel bitfit = PeftModel.create(bert, BitFitConfig.builder().build());          // every bias
 * PeftModel ln = PeftModel.create(llama, LnTuningConfig.builder().build());            // PEFT's defaults
 * }</pre>
 */
package io.github.peft4j.bitfit;
