package io.github.peft4j.lora;

import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.hooks.BaseModelInfo;
import io.github.peft4j.core.targeting.TargetModules;
import java.util.Map;
import java.util.Optional;

/**
 * The modules LoRA adapts when {@code target_modules} is not given, per Hugging Face
 * {@code model_type}: PEFT's {@code TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING}.
 *
 * <pre>{@code
 * TargetModules t = LoraTargetDefaults.forModelType("llama").orElseThrow(); // ["q_proj", "v_proj"]
 * }</pre>
 */
public final class LoraTargetDefaults {

    private static final TargetModules QV_PROJ = TargetModules.names("q_proj", "v_proj");
    private static final TargetModules QUERY_VALUE = TargetModules.names("query", "value");
    private static final TargetModules QKV_FUSED = TargetModules.names("query_key_value");

    private static final Map<String, TargetModules> DEFAULTS = Map.ofEntries(
            Map.entry("t5", TargetModules.names("q", "v")),
            Map.entry("mt5", TargetModules.names("q", "v")),
            Map.entry("bart", QV_PROJ),
            Map.entry("gpt2", TargetModules.names("c_attn")),
            Map.entry("bloom", QKV_FUSED),
            Map.entry("blip-2", TargetModules.names("q", "v", "q_proj", "v_proj")),
            Map.entry("opt", QV_PROJ),
            Map.entry("gptj", QV_PROJ),
            Map.entry("gpt_neox", QKV_FUSED),
            Map.entry("gpt_neo", QV_PROJ),
            Map.entry("bert", QUERY_VALUE),
            Map.entry("roberta", QUERY_VALUE),
            Map.entry("xlm-roberta", QUERY_VALUE),
            Map.entry("electra", QUERY_VALUE),
            Map.entry("deberta-v2", TargetModules.names("query_proj", "value_proj")),
            Map.entry("deberta", TargetModules.names("in_proj")),
            Map.entry("layoutlm", QUERY_VALUE),
            Map.entry("llama", QV_PROJ),
            Map.entry("llama4", QV_PROJ),
            Map.entry("chatglm", QKV_FUSED),
            Map.entry("gpt_bigcode", TargetModules.names("c_attn")),
            Map.entry("mpt", TargetModules.names("Wqkv")),
            Map.entry("RefinedWebModel", QKV_FUSED),
            Map.entry("RefinedWeb", QKV_FUSED),
            Map.entry("falcon", QKV_FUSED),
            Map.entry("btlm", TargetModules.names("c_proj", "c_attn")),
            Map.entry("codegen", TargetModules.names("qkv_proj")),
            Map.entry("mistral", QV_PROJ),
            Map.entry("mixtral", QV_PROJ),
            Map.entry("stablelm", QV_PROJ),
            Map.entry("phi", TargetModules.names("q_proj", "v_proj", "fc1", "fc2")),
            Map.entry("gemma", QV_PROJ),
            Map.entry("gemma2", QV_PROJ),
            Map.entry("gemma3_text", QV_PROJ),
            Map.entry("gemma4", TargetModules.regex(".*language_model\\..*\\.(q_proj|v_proj)")),
            Map.entry("qwen2", QV_PROJ),
            Map.entry("qwen3", QV_PROJ),
            Map.entry("nemotron_h", TargetModules.names("q_proj", "k_proj", "v_proj", "o_proj")),
            Map.entry("rwkv", TargetModules.names("key", "value", "receptance", "output")),
            Map.entry("rwkv7", TargetModules.names("r_proj", "k_proj", "v_proj", "o_proj", "key", "value")));

    private LoraTargetDefaults() {}

    /**
     * @param modelType a Hugging Face {@code model_type}
     * @return PEFT's default LoRA targets for it, if it has any
     */
    public static Optional<TargetModules> forModelType(String modelType) {
        return Optional.ofNullable(modelType == null ? null : DEFAULTS.get(modelType));
    }

    /**
     * @param model the model an adapter without {@code target_modules} is added to
     * @return the default targets for its base model
     * @throws PeftConfigException naming the model type when PEFT has no default for it
     */
    static TargetModules forModel(PeftModel model) {
        Optional<String> type = model.baseModelInfo().map(BaseModelInfo::modelType);
        if (type.isEmpty()) {
            throw new PeftConfigException("target_modules is not set and the base model ("
                    + model.baseModel().getClass().getSimpleName() + ") does not say its model_type;"
                    + " please specify `target_modules` in the LoraConfig");
        }
        return forModelType(type.get()).orElseThrow(() -> new PeftConfigException("target_modules is not set and"
                + " PEFT has no default LoRA targets for model_type '" + type.get() + "'; please specify"
                + " `target_modules` in the LoraConfig (e.g. [\"q_proj\", \"v_proj\"] or \"all-linear\")"));
    }
}
