package io.github.peft4j.models.bert;

import io.github.peft4j.models.config.BertConfig;

/**
 * transformers' {@code BertForMaskedLM} as a DJL block: {@code bert.embeddings}, {@code bert.encoder}
 * (no pooler) and {@code cls.predictions.{transform.dense, transform.LayerNorm, decoder, bias}}, the
 * decoder tied to {@code bert.embeddings.word_embeddings}. Output: {@code logits [B,T,vocab]}.
 *
 * <pre>{@code
 * PretrainedModel mlm = HfModels.load(dir, manager, LoadOptions.builder().architecture("BertForMaskedLM").build());
 * NDArray logits = mlm.block().forward(ps, new NDList(ids, mask), false).head();   // [B, T, vocab]
 * }</pre>
 */
public final class BertForMaskedLM extends BertMlmHeadModel {

    /** transformers' class name. */
    public static final String ARCHITECTURE = "BertForMaskedLM";

    /**
     * @param config the configuration
     * @param nameOrPath where the model came from, or {@code null}
     */
    public BertForMaskedLM(BertConfig config, String nameOrPath) {
        super(config, nameOrPath);
    }

    @Override
    public String architecture() {
        return ARCHITECTURE;
    }
}
