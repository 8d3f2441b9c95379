package io.github.peft4j.adapters.ia3;

import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.targeting.TargetModules;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Hugging Face PEFT's per-architecture (IA)³ defaults, keyed by {@code model_type}
 * ({@code TRANSFORMERS_MODELS_TO_IA3_TARGET_MODULES_MAPPING} and
 * {@code TRANSFORMERS_MODELS_TO_IA3_FEEDFORWARD_MODULES_MAPPING} in {@code peft/utils/constants.py}).
 *
 * <pre>{@code
 * Ia3Defaults.targetModules("llama");      // [k_proj, v_proj, down_proj]
 * Ia3Defaults.feedforwardModules("llama"); // [down_proj]
 * }</pre>
 */
public final class Ia3Defaults {

    private static final Map<String, List<String>> TARGETS = Map.ofEntries(
            Map.entry("t5", List.of("k", "v", "wo")),
            Map.entry("mt5", List.of("k", "v", "wi_1")),
            Map.entry("gpt2", List.of("c_attn", "mlp.c_proj")),
            Map.entry("bloom", List.of("query_key_value", "mlp.dense_4h_to_h")),
            Map.entry("roberta", List.of("key", "value", "output.dense")),
            Map.entry("opt", List.of("q_proj", "k_proj", "fc2")),
            Map.entry("gptj", List.of("q_proj", "v_proj", "fc_out")),
            Map.entry("gpt_neox", List.of("query_key_value", "dense_4h_to_h")),
            Map.entry("gpt_neo", List.of("q_proj", "v_proj", "c_proj")),
            Map.entry("bart", List.of("q_proj", "v_proj", "fc2")),
            Map.entry("gpt_bigcode", List.of("c_attn", "mlp.c_proj")),
            Map.entry("llama", List.of("k_proj", "v_proj", "down_proj")),
            Map.entry("llama4", List.of("q_proj", "v_proj", "down_proj")),
            Map.entry("mistral", List.of("k_proj", "v_proj", "down_proj")),
            Map.entry("mixtral", List.of("k_proj", "v_proj", "w2")),
            Map.entry("bert", List.of("key", "value", "output.dense")),
            Map.entry("deberta-v2", List.of("key_proj", "value_proj", "output.dense")),
            Map.entry("deberta", List.of("in_proj", "output.dense")),
            Map.entry("RefinedWebModel", List.of("query_key_value", "dense_4h_to_h")),
            Map.entry("RefinedWeb", List.of("query_key_value", "dense_4h_to_h")),
            Map.entry("falcon", List.of("query_key_value", "dense_4h_to_h")),
            Map.entry("phi", List.of("q_proj", "v_proj", "fc2")),
            Map.entry("gemma", List.of("q_proj", "v_proj", "down_proj")),
            Map.entry("gemma2", List.of("q_proj", "v_proj", "down_proj")),
            Map.entry("gemma3_text", List.of("q_proj", "v_proj", "down_proj")),
            Map.entry("qwen2", List.of("q_proj", "v_proj", "down_proj")),
            Map.entry("qwen3", List.of("q_proj", "v_proj", "down_proj")));

    private static final Map<String, List<String>> FEEDFORWARD = Map.ofEntries(
            Map.entry("t5", List.of("wo")),
            Map.entry("mt5", List.<String>of()),
            Map.entry("gpt2", List.of("mlp.c_proj")),
            Map.entry("bloom", List.of("mlp.dense_4h_to_h")),
            Map.entry("roberta", List.of("output.dense")),
            Map.entry("opt", List.of("fc2")),
            Map.entry("gptj", List.of("fc_out")),
            Map.entry("gpt_neox", List.of("dense_4h_to_h")),
            Map.entry("gpt_neo", List.of("c_proj")),
            Map.entry("bart", List.of("fc2")),
            Map.entry("gpt_bigcode", List.of("mlp.c_proj")),
            Map.entry("llama", List.of("down_proj")),
            Map.entry("llama4", List.of("down_proj")),
            Map.entry("mistral", List.of("down_proj")),
            Map.entry("mixtral", List.of("w2")),
            Map.entry("bert", List.of("output.dense")),
            Map.entry("deberta-v2", List.of("output.dense")),
            Map.entry("deberta", List.of("output.dense")),
            Map.entry("RefinedWeb", List.of("dense_4h_to_h")),
            Map.entry("RefinedWebModel", List.of("dense_4h_to_h")),
            Map.entry("falcon", List.of("dense_4h_to_h")),
            Map.entry("phi", List.of("fc2")),
            Map.entry("gemma", List.of("down_proj")),
            Map.entry("gemma2", List.of("down_proj")),
            Map.entry("gemma3_text", List.of("down_proj")),
            Map.entry("qwen2", List.of("down_proj")),
            Map.entry("qwen3", List.of("down_proj")));

    private Ia3Defaults() {}

    /**
     * @param modelType Hugging Face's {@code model_type}, or {@code null} when the base model does not say
     * @return PEFT's default {@code target_modules}
     * @throws PeftConfigException if PEFT has no default for that model type
     */
    public static TargetModules targetModules(String modelType) {
        return TargetModules.names(lookup(TARGETS, modelType, "target_modules"));
    }

    /**
     * @param modelType Hugging Face's {@code model_type}, or {@code null}
     * @return PEFT's default {@code feedforward_modules}
     * @throws PeftConfigException if PEFT has no default for that model type
     */
    public static TargetModules feedforwardModules(String modelType) {
        return TargetModules.names(lookup(FEEDFORWARD, modelType, "feedforward_modules"));
    }

    private static List<String> lookup(Map<String, List<String>> map, String modelType, String field) {
        List<String> names = modelType == null ? null : map.get(modelType);
        if (names == null) {
            throw new PeftConfigException("Please specify `" + field + "` in the (IA)^3 config: PEFT has no default for "
                    + (modelType == null ? "a base model that does not implement BaseModelInfo"
                            : "model_type '" + modelType + "'")
                    + " (defaults exist for " + new TreeSet<>(map.keySet()) + ")");
        }
        return names;
    }
}
