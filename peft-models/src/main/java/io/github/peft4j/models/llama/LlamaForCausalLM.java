package io.github.peft4j.models.llama;

import io.github.peft4j.models.CausalLmWithHead;
import io.github.peft4j.models.config.GemmaFields;
import io.github.peft4j.models.config.LlamaConfig;
import java.util.regex.Pattern;

/**
 * transformers' {@code LlamaForCausalLM} (also Mistral, Qwen2, Qwen3, Phi-3, Gemma 2 and Gemma 3
 * text) as a DJL block, with the same module paths: {@code model.embed_tokens},
 * {@code model.layers.<i>.self_attn.{q,k,v,o}_proj} (Phi-3: {@code qkv_proj}, {@code o_proj}; Qwen3
 * and Gemma 3 add {@code q_norm}, {@code k_norm}), {@code model.layers.<i>.mlp.{gate,up,down}_proj}
 * (Phi-3: {@code gate_up_proj}, {@code down_proj}), {@code model.layers.<i>.input_layernorm},
 * {@code model.layers.<i>.post_attention_layernorm} (Gemma adds {@code pre_feedforward_layernorm} and
 * {@code post_feedforward_layernorm}), {@code model.norm}, {@code lm_head} (tied to the embedding
 * when {@code tie_word_embeddings}). Gemma 2 soft-caps the logits ({@code final_logit_softcapping}).
 *
 * <p>Input: {@code NDList(input_ids [B,T] INT64, optional attention_mask [B,T])}; output:
 * {@code NDList(logits [B,T,vocab])}. Build one with {@link io.github.peft4j.models.ModelFactory}
 * or load it with {@link io.github.peft4j.models.HfModels}.
 *
 * <pre>{@code
 * PretrainedModel tiny = ModelFactory.create(LlamaConfig.tiny().build(), manager, 42);
 * NDArray logits = tiny.block().forward(new ParameterStore(manager, false), new NDList(ids), false).head();
 * }</pre>
 */
public final class LlamaForCausalLM extends CausalLmWithHead<LlamaConfig> {

    private final float finalSoftcap;

    private static final Pattern BUFFERS = Pattern.compile("(model\\.)?layers\\.\\d+\\.self_attn\\.rotary_emb\\.inv_freq");

    /**
     * @param config the configuration
     * @param nameOrPath where the model came from (recorded in saved adapters), or {@code null}
     */
    public LlamaForCausalLM(LlamaConfig config, String nameOrPath) {
        super(config, nameOrPath, "model", new LlamaModel(config), BUFFERS);
        this.finalSoftcap = config.gemma().map(GemmaFields::finalLogitSoftcapping).map(Double::floatValue).orElse(0f);
    }

    @Override
    public float finalLogitSoftcap() {
        return finalSoftcap;
    }
}
