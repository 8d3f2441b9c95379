package io.github.peft4j.models.gpt2;

import io.github.peft4j.models.CausalLmWithHead;
import io.github.peft4j.models.config.Gpt2Config;
import java.util.regex.Pattern;

/**
 * transformers' {@code GPT2LMHeadModel} as a DJL block, with the same module paths:
 * {@code transformer.wte}, {@code transformer.wpe}, {@code transformer.h.<i>.ln_1},
 * {@code .attn.c_attn}, {@code .attn.c_proj}, {@code .ln_2}, {@code .mlp.c_fc}, {@code .mlp.c_proj},
 * {@code transformer.ln_f}, {@code lm_head} (tied to {@code wte} unless
 * {@code tie_word_embeddings: false}). The projections are {@link Conv1D} layers, weight [in, out]:
 * LoRA on them needs {@code fan_in_fan_out}.
 *
 * <p>Input: {@code NDList(input_ids [B,T] INT64, optional attention_mask [B,T])}; output:
 * {@code NDList(logits [B,T,vocab])}.
 *
 * <pre>{@code
 * PretrainedModel gpt2 = HfModels.load(Path.of("gpt2"), manager);
 * Block conv = ModuleTree.of(gpt2.block()).get("transformer.h.0.attn.c_attn");
 * }</pre>
 */
public final class Gpt2LmHeadModel extends CausalLmWithHead<Gpt2Config> {

    private static final Pattern BUFFERS = Pattern.compile("transformer\\.h\\.\\d+\\.attn\\.(bias|masked_bias)");

    /**
     * @param config the configuration
     * @param nameOrPath where the model came from (recorded in saved adapters), or {@code null}
     */
    public Gpt2LmHeadModel(Gpt2Config config, String nameOrPath) {
        super(config, nameOrPath, "transformer", new Gpt2Model(config), BUFFERS);
    }
}
