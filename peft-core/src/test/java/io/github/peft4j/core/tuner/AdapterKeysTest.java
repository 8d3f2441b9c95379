package io.github.peft4j.core.tuner;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AdapterKeysTest {

    /** Cases of PEFT's _remove_adapter_name_from_state_dict_key (save_and_load.py). */
    @ParameterizedTest
    @CsvSource({
        "model.layers.0.self_attn.q_proj.lora_A.default.weight, default, model.layers.0.self_attn.q_proj.lora_A.weight",
        "model.layers.0.self_attn.q_proj.lora_B.default.bias, default, model.layers.0.self_attn.q_proj.lora_B.bias",
        "model.embed_tokens.lora_embedding_A.default, default, model.embed_tokens.lora_embedding_A",
        "model.layers.0.self_attn.k_proj.ia3_l.tenant, tenant, model.layers.0.self_attn.k_proj.ia3_l",
        // a module that happens to share the adapter's name elsewhere in the path stays
        "default.layers.0.q_proj.lora_A.default.weight, default, default.layers.0.q_proj.lora_A.weight",
        "model.default.q_proj.bias, other, model.default.q_proj.bias",
        "model.layers.0.q_proj.base_layer.bias, default, model.layers.0.q_proj.base_layer.bias"
    })
    void removesTheAdapterNameWherePeftDoes(String key, String adapter, String saved) {
        assertEquals(saved, AdapterKeys.removeAdapterName(key, adapter));
    }

    @ParameterizedTest
    @CsvSource({
        "base_model.model.model.layers.0.q_proj.lora_A.weight, model.layers.0.q_proj.lora_A.weight",
        "model.layers.0.q_proj.lora_A.weight, model.layers.0.q_proj.lora_A.weight"
    })
    void prefixIsOptionalOnLoad(String saved, String relative) {
        assertEquals(relative, AdapterKeys.withoutPrefix(saved));
        assertEquals("base_model.model." + relative, AdapterKeys.withPrefix(relative));
    }
}
