package io.github.peft4j.models.bert;

import io.github.peft4j.models.CausalLM;
import io.github.peft4j.models.config.BertConfig;

/**
 * transformers' {@code BertLMHeadModel} as a DJL block: the same modules as {@link BertForMaskedLM}.
 * As in transformers, attention is causal when the configuration says {@code is_decoder} and
 * bidirectional otherwise. Output: {@code logits [B,T,vocab]} for every position. As a decoder it is a
 * {@link CausalLM}: it fills and extends a {@code KvCache}, so {@code Generator} and
 * {@code SequenceDecoder} generate with it (positions from the mask, as transformers' generation).
 *
 * <pre>{@code
 * PretrainedModel lm = HfModels.load(dir, manager, LoadOptions.builder().architecture("BertLMHeadModel").build());
 * GenerationResult out = Generator.generate(lm.block(), List.of(prompt), GenerationConfig.greedy(10));
 * }</pre>
 */
public final class BertLMHeadModel extends BertMlmHeadModel implements CausalLM {

    /** transformers' class name. */
    public static final String ARCHITECTURE = "BertLMHeadModel";

    /**
     * @param config the configuration
     * @param nameOrPath where the model came from, or {@code null}
     */
    public BertLMHeadModel(BertConfig config, String nameOrPath) {
        super(config, nameOrPath);
    }

    @Override
    public String architecture() {
        return ARCHITECTURE;
    }
}
