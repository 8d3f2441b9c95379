package io.github.peft4j.models.config;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.PeftFormatException;
import io.github.peft4j.core.io.PythonJson;
import io.github.peft4j.models.TestSupport;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** config.json as transformers writes and reads it. */
class ModelConfigTest {

    /** The config.json of meta-llama/Llama-3.2-1B (public), as transformers 4.45 wrote it. */
    static final String LLAMA_32 = "{\"architectures\": [\"LlamaForCausalLM\"], \"attention_bias\": false,"
            + " \"attention_dropout\": 0.0, \"bos_token_id\": 128000, \"eos_token_id\": [128001, 128008, 128009],"
            + " \"head_dim\": 64, \"hidden_act\": \"silu\", \"hidden_size\": 2048, \"initializer_range\": 0.02,"
            + " \"intermediate_size\": 8192, \"max_position_embeddings\": 131072, \"mlp_bias\": false,"
            + " \"model_type\": \"llama\", \"num_attention_heads\": 32, \"num_hidden_layers\": 16,"
            + " \"num_key_value_heads\": 8, \"pretraining_tp\": 1, \"rms_norm_eps\": 1e-05,"
            + " \"rope_scaling\": {\"factor\": 32.0, \"high_freq_factor\": 4.0, \"low_freq_factor\": 1.0,"
            + " \"original_max_position_embeddings\": 8192, \"rope_type\": \"llama3\"}, \"rope_theta\": 500000.0,"
            + " \"tie_word_embeddings\": true, \"torch_dtype\": \"bfloat16\", \"transformers_version\": \"4.45.0.dev0\","
            + " \"use_cache\": true, \"vocab_size\": 128256}";

    static ModelConfig parse(String json) throws Exception {
        return ModelConfigs.parse((ObjectNode) PythonJson.mapper().readTree(json), Path.of("config.json"));
    }

    @Test
    void fixturesParseWithTransformersDefaults() {
        Gpt2Config gpt2 = (Gpt2Config) ModelConfigs.read(TestSupport.fixture("tiny_gpt2"));
        assertEquals(2, gpt2.hiddenSize());
        assertEquals(8, gpt2.intermediateSize(), "n_inner null means 4 * n_embd");
        assertEquals(1024, gpt2.maxPositionEmbeddings());
        assertEquals("gelu_new", gpt2.hiddenAct());
        assertTrue(gpt2.tieWordEmbeddings());
        assertEquals(List.of(20), gpt2.eosTokenIds());
        assertEquals(Optional.empty(), gpt2.padTokenId());

        BertConfig bert = (BertConfig) ModelConfigs.read(TestSupport.fixture("bert_tiniest").resolve("config.json"));
        assertEquals(4, bert.hiddenSize());
        assertEquals(8, bert.intermediateSize());
        assertEquals(1e-12, bert.layerNormEps());
        assertEquals(2, bert.numLabels());
        assertEquals("gelu", bert.hiddenAct());
        assertEquals(0.1, bert.classifierDropout(), "classifier_dropout null falls back to hidden_dropout_prob");
        assertEquals(Optional.of(0), bert.padTokenId());
    }

    @Test
    void llama32ConfigReadsGqaRopeScalingAndEosList() throws Exception {
        LlamaConfig c = (LlamaConfig) parse(LLAMA_32);
        assertEquals(32, c.numAttentionHeads());
        assertEquals(8, c.numKeyValueHeads());
        assertEquals(64, c.headDim());
        assertEquals(List.of(128001, 128008, 128009), c.eosTokenIds());
        assertEquals(Optional.of(128000), c.bosTokenId());
        assertEquals(RopeScaling.llama3(32, 1, 4, 8192), c.ropeScaling());
        assertEquals(500000.0, c.ropeTheta());
        assertEquals(1e-5, c.rmsNormEps());
        assertTrue(c.tieWordEmbeddings());
        assertFalse(c.qkvBias());
        assertEquals("LlamaForCausalLM", c.architecture());
        assertEquals(Optional.of(PythonJson.mapper().getNodeFactory().numberNode(1)), c.get("pretraining_tp"));
    }

    @Test
    void familyDefaults() throws Exception {
        LlamaConfig mistral = (LlamaConfig) parse("{\"model_type\": \"mistral\", \"sliding_window\": 4096}");
        assertEquals(8, mistral.numKeyValueHeads());
        assertEquals(14336, mistral.intermediateSize());
        assertEquals(4096, mistral.slidingWindow());
        assertEquals("MistralForCausalLM", mistral.architecture());
        LlamaConfig qwen = (LlamaConfig) parse("{\"model_type\": \"qwen2\", \"hidden_size\": 64,"
                + " \"num_attention_heads\": 4, \"num_key_value_heads\": 2}");
        assertTrue(qwen.qkvBias());
        assertFalse(qwen.oProjBias());
        assertNull(qwen.slidingWindow());
        assertEquals(List.of(), qwen.eosTokenIds());
        LlamaConfig llama = (LlamaConfig) parse("{\"model_type\": \"llama\", \"attention_bias\": true}");
        assertTrue(llama.qkvBias() && llama.oProjBias());
        assertFalse(llama.tieWordEmbeddings());
        assertEquals(11008, llama.intermediateSize());
        assertEquals(List.of(2), llama.eosTokenIds());
    }

    @Test
    void badValuesNameTheKey() {
        PeftFormatException e = assertThrows(PeftFormatException.class,
                () -> parse("{\"model_type\": \"llama\", \"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 4.0}}"));
        assertEquals("rope_scaling", e.key());
        assertTrue(e.getMessage().contains("yarn"));
        e = assertThrows(PeftFormatException.class, () -> parse("{\"model_type\": \"bert\","
                + " \"position_embedding_type\": \"relative_key\"}"));
        assertEquals("position_embedding_type", e.key());
        e = assertThrows(PeftFormatException.class, () -> parse("{\"model_type\": \"gpt2\", \"n_layer\": 0}"));
        assertEquals("n_layer", e.key());
        e = assertThrows(PeftFormatException.class, () -> parse("{\"n_layer\": 2}"));
        assertEquals("model_type", e.key());
        PeftConfigException c = assertThrows(PeftConfigException.class,
                () -> LlamaConfig.tiny().hiddenSize(60).numAttentionHeads(8).build());
        assertTrue(c.getMessage().contains("num_attention_heads"), c.getMessage());
    }

    @Test
    void builtConfigsSaveAndParseBackUnchanged() throws Exception {
        for (ModelConfig c : List.of(LlamaConfig.tiny().ropeScaling(RopeScaling.llama3(8, 1, 4, 64)).eosTokenId(1, 2)
                .build(), Gpt2Config.tiny().dropout(0).build(), BertConfig.tiny().numLabels(5).build())) {
            ModelConfig again = parse(c.toJsonString());
            assertEquals(c.toJsonString(), again.toJsonString());
            assertEquals(c.toString(), again.toString());
        }
        BertConfig five = (BertConfig) parse(BertConfig.tiny().numLabels(5).build().toJsonString());
        assertEquals(5, five.numLabels());
        assertInstanceOf(LlamaConfig.class, parse(LLAMA_32).toBuilder().build());
    }

    @Test
    void ropeFrequenciesFollowTransformers() {
        assertArrayEquals(new float[] {1f, 0.1f, 0.01f, 0.001f}, RopeScaling.NONE.inverseFrequencies(10000, 8), 1e-9f);
        assertArrayEquals(new float[] {0.5f, 0.05f, 0.005f, 0.0005f},
                RopeScaling.linear(2).inverseFrequencies(10000, 8), 1e-9f);
        // wavelengths 6.3 (kept), 62.8 (between 64/4 and 64/1: smoothed), 628 and 6283 (divided by 8)
        assertArrayEquals(new float[] {1f, 0.013042256f, 0.00125f, 0.000125f},
                RopeScaling.llama3(8, 1, 4, 64).inverseFrequencies(10000, 8), 1e-8f);
    }
}
