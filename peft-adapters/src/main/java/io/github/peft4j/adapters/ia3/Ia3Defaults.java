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

    /** PEFT's two tables side by side: {@code model_type -> (target_modules, feedforward_modules)}. */
    private static final Map<String, Defaults> BY_MODEL_TYPE = Map.ofEntries(
            row("t5", targets("k", "v", "wo"), feedforward("wo")),
            row("mt5", targets("k", "v", "wi_1"), feedforward()),
            row("gpt2", targets("c_attn", "mlp.c_proj"), feedforward("mlp.c_proj")),
            row("bloom", targets("query_key_value", "mlp.dense_4h_to_h"), feedforward("mlp.dense_4h_to_h")),
            row("roberta", targets("key", "value", "output.dense"), feedforward("output.dense")),
            row("opt", targets("q_proj", "k_proj", "fc2"), feedforward("fc2")),
            row("gptj", targets("q_proj", "v_proj", "fc_out"), feedforward("fc_out")),
            row("gpt_neox", targets("query_key_value", "dense_4h_to_h"), feedforward("dense_4h_to_h")),
            row("gpt_neo", targets("q_proj", "v_proj", "c_proj"), feedforward("c_proj")),
            row("bart", targets("q_proj", "v_proj", "fc2"), feedforward("fc2")),
            row("gpt_bigcode", targets("c_attn", "mlp.c_proj"), feedforward("mlp.c_proj")),
            row("llama", targets("k_proj", "v_proj", "down_proj"), feedforward("down_proj")),
            row("llama4", targets("q_proj", "v_proj", "down_proj"), feedforward("down_proj")),
            row("mistral", targets("k_proj", "v_proj", "down_proj"), feedforward("down_proj")),
            row("mixtral", targets("k_proj", "v_proj", "w2"), feedforward("w2")),
            row("bert", targets("key", "value", "output.dense"), feedforward("output.dense")),
            row("deberta-v2", targets("key_proj", "value_proj", "output.dense"), feedforward("output.dense")),
            row("deberta", targets("in_proj", "output.dense"), feedforward("output.dense")),
            row("RefinedWebModel", targets("query_key_value", "dense_4h_to_h"), feedforward("dense_4h_to_h")),
            row("RefinedWeb", targets("query_key_value", "dense_4h_to_h"), feedforward("dense_4h_to_h")),
            row("falcon", targets("query_key_value", "dense_4h_to_h"), feedforward("dense_4h_to_h")),
            row("phi", targets("q_proj", "v_proj", "fc2"), feedforward("fc2")),
            row("gemma", targets("q_proj", "v_proj", "down_proj"), feedforward("down_proj")),
            row("gemma2", targets("q_proj", "v_proj", "down_proj"), feedforward("down_proj")),
            row("gemma3_text", targets("q_proj", "v_proj", "down_proj"), feedforward("down_proj")),
            row("qwen2", targets("q_proj", "v_proj", "down_proj"), feedforward("down_proj")),
            row("qwen3", targets("q_proj", "v_proj", "down_proj"), feedforward("down_proj")));

    private record Defaults(List<String> targets, List<String> feedforward) {}

    private Ia3Defaults() {}

    /**
     * @param modelType Hugging Face's {@code model_type}, or {@code null} when the base model does not say
     * @return PEFT's default {@code target_modules}
     * @throws PeftConfigException if PEFT has no default for that model type
     */
    public static TargetModules targetModules(String modelType) {
        return TargetModules.names(lookup(modelType, "target_modules").targets());
    }

    /**
     * @param modelType Hugging Face's {@code model_type}, or {@code null}
     * @return PEFT's default {@code feedforward_modules}
     * @throws PeftConfigException if PEFT has no default for that model type
     */
    public static TargetModules feedforwardModules(String modelType) {
        return TargetModules.names(lookup(modelType, "feedforward_modules").feedforward());
    }

    private static Map.Entry<String, Defaults> row(String modelType, List<String> targets, List<String> feedforward) {
        return Map.entry(modelType, new Defaults(targets, feedforward));
    }

    private static List<String> targets(String... names) {
        return List.of(names);
    }

    private static List<String> feedforward(String... names) {
        return List.of(names);
    }

    private static Defaults lookup(String modelType, String field) {
        Defaults defaults = modelType == null ? null : BY_MODEL_TYPE.get(modelType);
        if (defaults == null) {
            throw new PeftConfigException("Please specify `" + field + "` in the (IA)^3 config: PEFT has no default for "
                    + (modelType == null ? "a base model that does not implement BaseModelInfo"
                            : "model_type '" + modelType + "'")
                    + " (defaults exist for " + new TreeSet<>(BY_MODEL_TYPE.keySet()) + ")");
        }
        return defaults;
    }
}
