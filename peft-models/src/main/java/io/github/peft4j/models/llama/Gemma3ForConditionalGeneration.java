package io.github.peft4j.models.llama;

import io.github.peft4j.models.CausalLmWithHead;
import io.github.peft4j.models.config.GemmaFields;
import io.github.peft4j.models.config.LlamaConfig;
import java.util.regex.Pattern;

/**
 * The text model of transformers' {@code Gemma3ForConditionalGeneration} (multimodal Gemma 3, 4B and
 * larger) as a causal LM, with that class's module paths (transformers 4.52 and later):
 * {@code model.language_model.embed_tokens}, {@code model.language_model.layers.<i>...},
 * {@code model.language_model.norm}, {@code lm_head} (tied). LoRA adapters therefore carry the keys
 * PEFT writes for that class ({@code base_model.model.model.language_model.layers.0.self_attn.q_proj.lora_A.weight}).
 * The vision tower and the projector are not built: their checkpoint tensors are skipped and listed in
 * the load report's ignored buffers. Checkpoints saved before transformers 4.52
 * ({@code language_model.model.*}, {@code vision_tower.*}) load through transformers'
 * {@code _checkpoint_conversion_mapping}.
 *
 * <pre>{@code
 * PretrainedModel gemma = HfModels.load(Path.of("gemma-3-4b-it"), manager);   // config.json model_type gemma3
 * gemma.loadReport().ignoredBuffers();    // model.vision_tower.*, model.multi_modal_projector.*
 * }</pre>
 */
public final class Gemma3ForConditionalGeneration extends CausalLmWithHead<LlamaConfig> {

    private static final Pattern BUFFERS = Pattern.compile("model\\.(vision_tower|multi_modal_projector)\\..*"
            + "|model\\.language_model\\.layers\\.\\d+\\.self_attn\\.rotary_emb\\.inv_freq");

    private final float finalSoftcap;

    /**
     * @param config a configuration read from a multimodal Gemma 3 {@code config.json}
     * @param nameOrPath where the model came from, or {@code null}
     */
    public Gemma3ForConditionalGeneration(LlamaConfig config, String nameOrPath) {
        super(config, nameOrPath, "model", new Gemma3LanguageModelHolder(config), BUFFERS);
        this.finalSoftcap = config.gemma().map(GemmaFields::finalLogitSoftcapping).map(Double::floatValue).orElse(0f);
    }

    @Override
    public String architecture() {
        return LlamaConfig.GEMMA3_MULTIMODAL;
    }

    /** transformers' {@code _checkpoint_conversion_mapping} of the class: the layout before transformers 4.52. */
    @Override
    public String modelKey(String checkpointKey) {
        if (checkpointKey.startsWith("language_model.model.")) {
            return "model.language_model." + checkpointKey.substring("language_model.model.".length());
        }
        if (checkpointKey.startsWith("language_model.lm_head.")) {
            return checkpointKey.substring("language_model.".length());
        }
        if (checkpointKey.startsWith("vision_tower.") || checkpointKey.startsWith("multi_modal_projector.")) {
            return "model." + checkpointKey;
        }
        return checkpointKey;
    }

    @Override
    public float finalLogitSoftcap() {
        return finalSoftcap;
    }
}
