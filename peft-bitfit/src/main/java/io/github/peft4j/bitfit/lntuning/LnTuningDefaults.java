package io.github.peft4j.bitfit.lntuning;

import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.targeting.TargetModules;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Hugging Face PEFT's per-architecture LN-tuning targets, keyed by {@code model_type}
 * ({@code TRANSFORMERS_MODELS_TO_LNTUNING_TARGET_MODULES_MAPPING} in {@code peft/utils/constants.py}).
 * PEFT has no entry for BERT; name its norms explicitly ({@code "LayerNorm"}).
 *
 * <pre>{@code
 * LnTuningDefaults.targetModules("llama"); // [input_layernorm, post_attention_layernorm, norm]
 * }</pre>
 */
public final class LnTuningDefaults {

    private static final List<String> LLAMA_LIKE = List.of("input_layernorm", "post_attention_layernorm", "norm");
    private static final List<String> GEMMA2_LIKE = List.of("input_layernorm", "post_attention_layernorm",
            "pre_feedforward_layernorm", "post_feedforward_layernorm", "norm");

    private static final Map<String, List<String>> TARGETS = Map.ofEntries(
            Map.entry("llama", LLAMA_LIKE),
            Map.entry("bloom", List.of("input_layernorm", "post_attention_layernorm", "ln_f")),
            Map.entry("llava", List.of("multi_modal_projector", "input_layernorm", "post_attention_layernorm", "norm",
                    "embed_tokens", "lm_head")),
            Map.entry("t5", List.of("layer_norm", "final_layer_norm")),
            Map.entry("mt5", List.of("layer_norm", "final_layer_norm")),
            Map.entry("bart", List.of("self_attn_layer_norm", "encoder_attn_layer_norm", "final_layer_norm")),
            Map.entry("gpt2", List.of("ln_1", "ln_2", "ln_f")),
            Map.entry("blip-2", List.of("layernorm", "LayerNorm", "final_layer_norm", "self_attn_layer_norm")),
            Map.entry("gptj", List.of("ln_1", "ln_f")),
            Map.entry("falcon", List.of("input_layernorm", "post_attention_layernorm", "ln_f")),
            Map.entry("mistral", LLAMA_LIKE),
            Map.entry("phi", List.of("input_layernorm", "final_layernorm")),
            Map.entry("gemma", LLAMA_LIKE),
            Map.entry("gemma2", GEMMA2_LIKE),
            Map.entry("gemma3_text", GEMMA2_LIKE),
            Map.entry("qwen2", List.of("post_attention_layernorm")),
            Map.entry("qwen3", List.of("post_attention_layernorm")));

    private LnTuningDefaults() {}

    /**
     * @param modelType Hugging Face's {@code model_type}, or {@code null} when the base model does not say
     * @return PEFT's default {@code target_modules}
     * @throws PeftConfigException if PEFT has no default for it
     */
    public static TargetModules targetModules(String modelType) {
        List<String> names = modelType == null ? null : TARGETS.get(modelType);
        if (names == null) {
            throw new PeftConfigException("Please specify `target_modules` in the LN-tuning config: PEFT has no default for "
                    + (modelType == null ? "a base model that does not implement BaseModelInfo"
                            : "model_type '" + modelType + "'")
                    + " (defaults exist for " + new TreeSet<>(TARGETS.keySet()) + "); for BERT use [\"LayerNorm\"]");
        }
        return TargetModules.names(names);
    }
}
