package io.github.peft4j.prefix;

import io.github.peft4j.core.PeftConfig;
import io.github.peft4j.prefix.prefixtuning.PrefixTuningConfig;
import io.github.peft4j.prefix.prompttuning.PromptTuningConfig;
import io.github.peft4j.prefix.ptuning.PromptEncoderConfig;
import io.github.peft4j.prefix.ptuning.PromptEncoderReparameterizationType;
import java.util.stream.Stream;

/** One config per prompt encoder, three virtual tokens, no dropout: two runs compare exactly. */
final class EncoderConfigs {

    private EncoderConfigs() {}

    /**
     * @param projectionHidden encoder_hidden_size of prefix tuning with prefix_projection
     * @param mlpHidden encoder_hidden_size of P-tuning's MLP encoder
     * @param lstmHidden encoder_hidden_size of P-tuning's LSTM encoder
     * @return prompt tuning, prefix tuning (plain and projected), P-tuning (MLP and LSTM)
     */
    static Stream<PeftConfig> deterministic(int projectionHidden, int mlpHidden, int lstmHidden) {
        return Stream.of(
                PromptTuningConfig.builder().numVirtualTokens(3).build(),
                PrefixTuningConfig.builder().numVirtualTokens(3).build(),
                PrefixTuningConfig.builder().numVirtualTokens(3).prefixProjection(true).encoderHiddenSize(projectionHidden).build(),
                PromptEncoderConfig.builder().numVirtualTokens(3).encoderHiddenSize(mlpHidden).build(),
                PromptEncoderConfig.builder().numVirtualTokens(3).encoderHiddenSize(lstmHidden)
                        .encoderReparameterizationType(PromptEncoderReparameterizationType.LSTM).build());
    }
}
