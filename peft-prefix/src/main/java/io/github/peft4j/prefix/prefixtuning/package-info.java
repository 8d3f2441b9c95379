/**
 * Prefix tuning, PEFT's {@code tuners/prefix_tuning}: {@link io.github.peft4j.prefix.prefixtuning.PrefixTuningConfig},
 * its method and its encoder. The prefix reaches every attention layer as keys and values.
 *
 * <pre>{@code
 * PeftModel model = PeftModel.create(llama, PrefixTuningConfig.builder().numVirtualTokens(30).build());
 * }</pre>
 */
package io.github.peft4j.prefix.prefixtuning;
