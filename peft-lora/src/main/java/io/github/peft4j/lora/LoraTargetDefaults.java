package io.github.peft4j.lora;

import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.InjectionContext;
import io.github.peft4j.core.hooks.BaseModelInfo;
import io.github.peft4j.core.targeting.TargetModules;
import java.util.HashMap;
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

    /** model_type to targets, grouped by targets. */
    private static final Map<String, TargetModules> DEFAULTS = new HashMap<>();

    static {
        targets(TargetModules.names("q_proj", "v_proj"), "bart", "opt", "gptj", "gpt_neo", "llama", "llama4", "mistral",
                "mixtral", "stablelm", "gemma", "gemma2", "gemma3_text", "qwen2", "qwen3");
        targets(TargetModules.names("query", "value"), "bert", "roberta", "xlm-roberta", "electra", "layoutlm");
        targets(TargetModules.names("query_key_value"), "bloom", "gpt_neox", "chatglm", "RefinedWebModel", "RefinedWeb",
                "falcon");
        targets(TargetModules.names("q", "v"), "t5", "mt5");
        targets(TargetModules.names("c_attn"), "gpt2", "gpt_bigcode");
        targets(TargetModules.names("q", "v", "q_proj", "v_proj"), "blip-2");
        targets(TargetModules.names("query_proj", "value_proj"), "deberta-v2");
        targets(TargetModules.names("in_proj"), "deberta");
        targets(TargetModules.names("Wqkv"), "mpt");
        targets(TargetModules.names("c_proj", "c_attn"), "btlm");
        targets(TargetModules.names("qkv_proj"), "codegen");
        targets(TargetModules.names("q_proj", "v_proj", "fc1", "fc2"), "phi");
        targets(TargetModules.regex(".*language_model\\..*\\.(q_proj|v_proj)"), "gemma4");
        targets(TargetModules.names("q_proj", "k_proj", "v_proj", "o_proj"), "nemotron_h");
        targets(TargetModules.names("key", "value", "receptance", "output"), "rwkv");
        targets(TargetModules.names("r_proj", "k_proj", "v_proj", "o_proj", "key", "value"), "rwkv7");
    }

    private static void targets(TargetModules targets, String... modelTypes) {
        for (String type : modelTypes) {
            DEFAULTS.put(type, targets);
        }
    }

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
    static TargetModules forModel(InjectionContext model) {
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
