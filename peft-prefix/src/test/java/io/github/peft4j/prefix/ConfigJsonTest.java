package io.github.peft4j.prefix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.github.peft4j.core.PeftConfig;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.PeftFormatException;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.io.AdapterConfigJson;
import io.github.peft4j.prefix.prefixtuning.PrefixTuningConfig;
import io.github.peft4j.prefix.prompttuning.PromptTuningConfig;
import io.github.peft4j.prefix.prompttuning.PromptTuningInit;
import io.github.peft4j.prefix.ptuning.PromptEncoderConfig;
import io.github.peft4j.prefix.ptuning.PromptEncoderReparameterizationType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** adapter_config.json as PEFT writes and reads it, defaults and validation as PEFT's dataclasses. */
class ConfigJsonTest {

    @TempDir
    Path tmp;

    private NDManager manager;

    @BeforeEach
    void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    private String saved(PeftConfig config) throws IOException {
        try (PeftModel model = PeftModel.create(ToyPromptModel.small(manager, 1), config)) {
            model.save(tmp);
        }
        return Files.readString(tmp.resolve("adapter_config.json"), StandardCharsets.UTF_8);
    }

    @Test
    void prefixTuningFileHasPeftsKeysWithTheSizesFilledIn() throws IOException {
        assertEquals("{\n"
                + "  \"auto_mapping\": null,\n"
                + "  \"base_model_name_or_path\": \"toy/prompt-model\",\n"
                + "  \"encoder_hidden_size\": 8,\n"
                + "  \"inference_mode\": true,\n"
                + "  \"init_weights\": null,\n"
                + "  \"modules_to_save\": null,\n"
                + "  \"num_attention_heads\": 2,\n"
                + "  \"num_layers\": 2,\n"
                + "  \"num_transformer_submodules\": 1,\n"
                + "  \"num_virtual_tokens\": 3,\n"
                + "  \"peft_type\": \"PREFIX_TUNING\",\n"
                + "  \"prefix_projection\": false,\n"
                + "  \"revision\": null,\n"
                + "  \"task_type\": \"CAUSAL_LM\",\n"
                + "  \"token_dim\": 8\n"
                + "}", saved(PrefixTuningConfig.builder().numVirtualTokens(3).taskType("CAUSAL_LM").build()));
    }

    @Test
    void promptTuningFileHasPeftsKeys() throws IOException {
        assertEquals("{\n"
                + "  \"auto_mapping\": null,\n"
                + "  \"base_model_name_or_path\": \"toy/prompt-model\",\n"
                + "  \"inference_mode\": true,\n"
                + "  \"modules_to_save\": null,\n"
                + "  \"num_attention_heads\": 4,\n"
                + "  \"num_layers\": 2,\n"
                + "  \"num_transformer_submodules\": 1,\n"
                + "  \"num_virtual_tokens\": 4,\n"
                + "  \"peft_type\": \"PROMPT_TUNING\",\n"
                + "  \"prompt_tuning_init\": \"TEXT\",\n"
                + "  \"prompt_tuning_init_text\": \"Classify:\",\n"
                + "  \"revision\": null,\n"
                + "  \"task_type\": \"CAUSAL_LM\",\n"
                + "  \"token_dim\": 16,\n"
                + "  \"tokenizer_kwargs\": null,\n"
                + "  \"tokenizer_name_or_path\": \"toy/tokenizer\"\n"
                + "}", saved(PromptTuningConfig.builder().numVirtualTokens(4).taskType("CAUSAL_LM")
                        .promptTuningInit(PromptTuningInit.TEXT).promptTuningInitText("Classify:")
                        .tokenizerNameOrPath("toy/tokenizer").initTokenizer(text -> new long[] {1, 2}).build()));
    }

    @Test
    void pTuningFileHasPeftsKeys() throws IOException {
        assertEquals("{\n"
                + "  \"auto_mapping\": null,\n"
                + "  \"base_model_name_or_path\": \"toy/prompt-model\",\n"
                + "  \"encoder_dropout\": 0.1,\n"
                + "  \"encoder_hidden_size\": 16,\n"
                + "  \"encoder_num_layers\": 2,\n"
                + "  \"encoder_reparameterization_type\": \"LSTM\",\n"
                + "  \"inference_mode\": true,\n"
                + "  \"modules_to_save\": null,\n"
                + "  \"num_attention_heads\": 4,\n"
                + "  \"num_layers\": 2,\n"
                + "  \"num_transformer_submodules\": 1,\n"
                + "  \"num_virtual_tokens\": 5,\n"
                + "  \"peft_type\": \"P_TUNING\",\n"
                + "  \"revision\": null,\n"
                + "  \"task_type\": null,\n"
                + "  \"token_dim\": 16\n"
                + "}", saved(PromptEncoderConfig.builder().numVirtualTokens(5).encoderDropout(0.1)
                        .encoderReparameterizationType(PromptEncoderReparameterizationType.LSTM).build()));
    }

    @Test
    void minimalFilesGetPeftsDefaults() {
        PromptTuningConfig prompt = (PromptTuningConfig) AdapterConfigJson.parse(
                "{\"peft_type\": \"PROMPT_TUNING\", \"num_virtual_tokens\": 8}");
        assertEquals(PromptTuningInit.RANDOM, prompt.promptTuningInit());
        assertNull(prompt.tokenDim());
        assertNull(prompt.numTransformerSubmodules());
        PrefixTuningConfig prefix = (PrefixTuningConfig) AdapterConfigJson.parse(
                "{\"peft_type\": \"PREFIX_TUNING\", \"num_virtual_tokens\": 8}");
        assertEquals(false, prefix.prefixProjection());
        assertNull(prefix.encoderHiddenSize());
        assertNull(prefix.initWeights());
        PromptEncoderConfig pTuning = (PromptEncoderConfig) AdapterConfigJson.parse(
                "{\"peft_type\": \"P_TUNING\", \"num_virtual_tokens\": 8, \"peft_version\": \"0.20.0\"}");
        assertEquals(PromptEncoderReparameterizationType.MLP, pTuning.encoderReparameterizationType());
        assertEquals(2, pTuning.encoderNumLayers());
        assertEquals(0.0, pTuning.encoderDropout());
        assertNull(pTuning.encoderHiddenSize());
    }

    @Test
    void peftsCommittedPrefixConfigReadsBack() {
        PrefixTuningConfig c = (PrefixTuningConfig) AdapterConfigJson.parse("{\"auto_mapping\": null,"
                + " \"base_model_name_or_path\": null, \"encoder_hidden_size\": 3072, \"inference_mode\": false,"
                + " \"num_attention_heads\": 24, \"num_layers\": 28, \"num_transformer_submodules\": 1,"
                + " \"num_virtual_tokens\": 200, \"peft_type\": \"PREFIX_TUNING\", \"prefix_projection\": false,"
                + " \"revision\": null, \"task_type\": \"CAUSAL_LM\", \"token_dim\": 3072}");
        assertEquals(200, c.numVirtualTokens());
        assertEquals(3072, c.tokenDim());
        assertEquals(24, c.numAttentionHeads());
        assertEquals(28, c.numLayers());
        assertEquals("CAUSAL_LM", c.taskType());
    }

    @Test
    void validationFollowsPeft() {
        assertThrows(PeftConfigException.class, () -> PromptTuningConfig.builder().build(),
                "num_virtual_tokens is required");
        PeftConfigException text = assertThrows(PeftConfigException.class, () -> PromptTuningConfig.builder()
                .numVirtualTokens(4).promptTuningInit(PromptTuningInit.TEXT).promptTuningInitText("hi").build());
        assertTrue(text.getMessage().contains("tokenizer_name_or_path"), text.getMessage());
        assertThrows(PeftConfigException.class, () -> PromptTuningConfig.builder().numVirtualTokens(4)
                .promptTuningInit(PromptTuningInit.TEXT).tokenizerNameOrPath("t").build());
        assertThrows(PeftConfigException.class, () -> PromptTuningConfig.builder().numVirtualTokens(4)
                .tokenizerKwargs(Map.of("use_fast", true)).build());
        assertThrows(PeftConfigException.class, () -> PrefixTuningConfig.builder().numVirtualTokens(4)
                .initWeights("ones").build());
        assertThrows(PeftConfigException.class, () -> PromptEncoderConfig.builder().numVirtualTokens(4)
                .encoderDropout(1.0).build());
        PeftFormatException file = assertThrows(PeftFormatException.class, () -> AdapterConfigJson.parse(
                "{\"peft_type\": \"P_TUNING\", \"num_virtual_tokens\": 0}"));
        assertTrue(file.getMessage().contains("num_virtual_tokens"), file.getMessage());
        PeftFormatException type = assertThrows(PeftFormatException.class, () -> AdapterConfigJson.parse(
                "{\"peft_type\": \"P_TUNING\", \"num_virtual_tokens\": 4,"
                        + " \"encoder_reparameterization_type\": \"GRU\"}"));
        assertEquals("encoder_reparameterization_type", type.key());
    }

    @Test
    void theTokenizerIsNotPartOfTheConfigFile() {
        PromptTuningConfig c = PromptTuningConfig.builder().numVirtualTokens(4).promptTuningInit(PromptTuningInit.TEXT)
                .promptTuningInitText("hi").tokenizerNameOrPath("t").initTokenizer(text -> new long[] {1}).build();
        PromptTuningConfig back = (PromptTuningConfig) AdapterConfigJson.parse(AdapterConfigJson.toJson(c));
        assertNull(back.initTokenizer());
        assertEquals("hi", back.promptTuningInitText());
        assertTrue(back.withInitTokenizer(text -> new long[] {2}).initTokenizer() != null);
    }
}
