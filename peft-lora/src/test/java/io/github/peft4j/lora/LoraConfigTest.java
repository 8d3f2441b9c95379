package io.github.peft4j.lora;

import io.github.peft4j.lora.init.InitLoraWeights;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.PeftFormatException;
import io.github.peft4j.core.PeftMethods;
import io.github.peft4j.core.io.AdapterConfigJson;
import io.github.peft4j.core.targeting.TargetModules;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class LoraConfigTest {

    /** The config PEFT 0.19.2 recorded for its Llama-3.2-3B LoRA benchmark (reference/peft-format.md §2.3). */
    private static final String PEFT_LLAMA_CONFIG = "{\"alora_invocation_tokens\": null, \"alpha_pattern\": {},"
            + " \"arrow_config\": null, \"auto_mapping\": null, \"base_model_name_or_path\": \"meta-llama/Llama-3.2-3B\","
            + " \"bias\": \"none\", \"corda_config\": null, \"ensure_weight_tying\": false, \"eva_config\": null,"
            + " \"exclude_modules\": null, \"fan_in_fan_out\": false, \"inference_mode\": false, \"init_lora_weights\": true,"
            + " \"layer_replication\": null, \"layers_pattern\": null, \"layers_to_transform\": null, \"loftq_config\": {},"
            + " \"lora_alpha\": 64, \"lora_bias\": false, \"lora_dropout\": 0.0, \"lora_ga_config\": null,"
            + " \"megatron_config\": null, \"megatron_core\": \"megatron.core\", \"modules_to_save\": null,"
            + " \"monteclora_config\": null, \"peft_type\": \"LORA\", \"peft_version\": \"0.19.2.dev0@UNKNOWN\","
            + " \"qalora_group_size\": 16, \"r\": 32, \"rank_pattern\": {}, \"revision\": null,"
            + " \"target_modules\": [\"v_proj\", \"q_proj\"], \"target_parameters\": null, \"task_type\": \"CAUSAL_LM\","
            + " \"trainable_token_indices\": null, \"use_bdlora\": null, \"use_dora\": false, \"use_qalora\": false,"
            + " \"use_rslora\": false, \"velora_config\": null}";

    @Test
    void registeredThroughTheServiceLoader() {
        assertInstanceOf(LoraMethod.class, PeftMethods.forType("LORA"));
        assertEquals(LoraConfig.class, PeftMethods.forType("lora").configClass());
    }

    @Test
    void defaultsArePefts() {
        LoraConfig c = LoraConfig.builder().build();
        assertEquals(8, c.r());
        assertEquals(8.0, c.loraAlpha());
        assertEquals(0.0, c.loraDropout());
        assertNull(c.targetModules());
        assertFalse(c.fanInFanOut());
        assertEquals(LoraConfig.Bias.NONE, c.bias());
        assertFalse(c.useRslora());
        assertFalse(c.useDora());
        assertFalse(c.loraBias());
        assertEquals(InitLoraWeights.TRUE, c.initLoraWeights());
        assertTrue(c.rankPattern().isEmpty() && c.alphaPattern().isEmpty());
        assertEquals("LORA", c.peftType());
        assertEquals(1.0, c.withTargetModules(TargetModules.names("q")).toBuilder().build().alphaFor("x.q") / c.r());
    }

    @Test
    void readsPeftsOwnFile() {
        LoraConfig c = (LoraConfig) AdapterConfigJson.parse(PEFT_LLAMA_CONFIG);
        assertEquals(32, c.r());
        assertEquals(64.0, c.loraAlpha());
        assertEquals(List.of("v_proj", "q_proj"), c.targetModules().names());
        assertEquals("CAUSAL_LM", c.taskType());
        assertEquals("meta-llama/Llama-3.2-3B", c.baseModelNameOrPath());
        assertEquals("0.19.2.dev0@UNKNOWN", c.peftVersion(), "the file's version is kept");
        assertTrue(c.initLoraWeights().isDefault());
        // written back, every field survives with its JSON type
        LoraConfig again = (LoraConfig) AdapterConfigJson.parse(AdapterConfigJson.toJson(c));
        assertEquals(AdapterConfigJson.toJson(c), AdapterConfigJson.toJson(again));
    }

    @Test
    void readsTheMinimalFileOfPeftsDocsAndOldFiles() {
        LoraConfig c = (LoraConfig) AdapterConfigJson.parse("{\"target_modules\": [\"query\", \"value\"], \"peft_type\": \"LORA\"}");
        assertEquals(8, c.r());
        assertEquals(List.of("query", "value"), c.targetModules().names());
        LoraConfig regex = (LoraConfig) AdapterConfigJson.parse("{\"peft_type\": \"LORA\", \"target_modules\": \".*\\\\.q_proj\","
                + " \"lora_alpha\": 16.0, \"init_lora_weights\": \"pissa_niter_4\", \"layers_to_transform\": null,"
                + " \"rank_pattern\": {\"q_proj\": 4}, \"alpha_pattern\": {\"q_proj\": 2.5}, \"bias\": \"lora_only\"}");
        assertTrue(regex.targetModules().isRegex());
        assertEquals(OptionalInt.of(4), regex.initLoraWeights().pissaIterations());
        assertEquals(4, regex.rankFor("model.layers.0.self_attn.q_proj"));
        assertEquals(2.5, regex.alphaFor("model.layers.0.self_attn.q_proj"));
        assertEquals(16.0, regex.alphaFor("model.layers.0.self_attn.k_proj"));
        assertEquals(LoraConfig.Bias.LORA_ONLY, regex.bias());
        assertTrue(AdapterConfigJson.toJson(regex).contains("\"lora_alpha\": 16.0"), "a float alpha stays a float");
    }

    @Test
    void layersToTransformAcceptsAnIntOrAList() {
        LoraConfig one = (LoraConfig) AdapterConfigJson.parse(
                "{\"peft_type\": \"LORA\", \"target_modules\": [\"q\"], \"layers_to_transform\": 2, \"layers_pattern\": \"h\"}");
        assertEquals(List.of(2), one.layersToTransform());
        assertEquals(List.of("h"), one.layersPattern());
        assertTrue(AdapterConfigJson.toJson(one).contains("\"layers_to_transform\": 2,"), "written back as given");
        LoraConfig many = LoraConfig.builder().targetModules("q").layersToTransform(0, 3).layersPattern("layers").build();
        assertEquals(List.of(0, 3), many.layersToTransform());
    }

    @Test
    void validatesAsPeftDoes() {
        assertRejected(LoraConfig.builder().r(0), "`r` should be a positive integer");
        assertRejected(LoraConfig.builder().targetModules(TargetModules.regex(".*q")).layersToTransform(1),
                "`layers_to_transform` cannot be used when `target_modules` is a str");
        assertRejected(LoraConfig.builder().targetModules(TargetModules.allLinear()).layersPattern("h"),
                "`layers_pattern` cannot be used when `target_modules` is a str");
        assertRejected(LoraConfig.builder().targetModules("q").layersPattern("h"),
                "When `layers_pattern` is specified, `layers_to_transform` must also be specified");
        assertRejected(LoraConfig.builder().loraBias(true).useDora(true),
                "lora_bias=True is not supported for DoRA");
        assertRejected(LoraConfig.builder().loraBias(true).initLoraWeights("pissa"),
                "only supported with init_lora_weights=True or False");
        assertRejected(LoraConfig.builder().loraDropout(1.0), "lora_dropout must be in [0, 1)");
        assertRejected(LoraConfig.builder().initLoraWeights("pissa_nit_2"), "should be 'pissa' or 'pissa_niter_");
        assertRejected(LoraConfig.builder().initLoraWeights("eva"), "not supported by peft4j");
        assertRejected(LoraConfig.builder().initLoraWeights("loftq"), "not supported by peft4j");
        assertRejected(LoraConfig.builder().rankPattern(Map.of("q", 0)), "rank_pattern['q']");
    }

    @Test
    void featuresPeft4jDoesNotImplementAreRefusedWhenSet() {
        for (String field : List.of("\"layer_replication\": [[0, 2]]", "\"use_qalora\": true",
                "\"target_parameters\": [\"experts.weight\"]", "\"kasa_config\": {}", "\"alora_invocation_tokens\": [1]",
                "\"trainable_token_indices\": [1, 2]", "\"ensure_weight_tying\": true")) {
            PeftFormatException e = assertThrows(PeftFormatException.class,
                    () -> AdapterConfigJson.parse("{\"peft_type\": \"LORA\", \"target_modules\": [\"q\"], " + field + "}"));
            assertTrue(e.getMessage().contains(field.substring(1, field.indexOf('"', 1))), e.getMessage());
        }
        assertThrows(PeftFormatException.class,
                () -> AdapterConfigJson.parse("{\"peft_type\": \"LORA\", \"bias\": \"some\"}"));
    }

    @Test
    void loftqConfigIsDroppedWhenNotUsed() {
        LoraConfig c = (LoraConfig) AdapterConfigJson.parse(
                "{\"peft_type\": \"LORA\", \"loftq_config\": {\"loftq_bits\": 4}}");
        assertTrue(AdapterConfigJson.toJson(c).contains("\"loftq_config\": {}"));
    }

    @Test
    void builderDeduplicatesTargetsAndKnowsAllLinear() {
        assertEquals(List.of("q", "v"), LoraConfig.builder().targetModules("q", "v", "q").build().targetModules().names());
        assertTrue(LoraConfig.builder().targetModules("ALL-LINEAR").build().targetModules().isAllLinear());
        assertEquals(Map.of("q_proj", 16), LoraConfig.builder().rankPattern(Map.of("q_proj", 16)).build().rankPattern());
    }

    private static void assertRejected(LoraConfig.Builder builder, String message) {
        PeftConfigException e = assertThrows(PeftConfigException.class, builder::build);
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }
}
