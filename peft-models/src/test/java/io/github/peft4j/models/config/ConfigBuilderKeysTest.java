package io.github.peft4j.models.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The shared builder setters write each architecture's own config.json keys, as typed JSON values. */
class ConfigBuilderKeysTest {

    @Test
    void gpt2SizesGoUnderGpt2Names() {
        Gpt2Config c = Gpt2Config.builder().hiddenSize(48).numLayers(3).numAttentionHeads(4).intermediateSize(96)
                .maxPositionEmbeddings(40).hiddenAct("relu").build();
        ObjectNode json = c.toJson();
        assertEquals(48, json.get("n_embd").intValue());
        assertEquals(3, json.get("n_layer").intValue());
        assertEquals(4, json.get("n_head").intValue());
        assertEquals(96, json.get("n_inner").intValue());
        assertEquals(40, json.get("n_positions").intValue());
        assertEquals("relu", json.get("activation_function").textValue());
        assertFalse(json.has("hidden_size"));
        assertEquals(48, c.hiddenSize());
        assertEquals(96, c.intermediateSize());
        assertEquals("relu", c.hiddenAct());
    }

    @Test
    void llamaAndBertSizesGoUnderStandardNames() {
        ObjectNode llama = LlamaConfig.builder().hiddenSize(64).numLayers(2).numAttentionHeads(4)
                .numKeyValueHeads(2).intermediateSize(128).maxPositionEmbeddings(256).rmsNormEps(1e-5).build().toJson();
        assertEquals(64, llama.get("hidden_size").intValue());
        assertEquals(2, llama.get("num_hidden_layers").intValue());
        assertEquals(4, llama.get("num_attention_heads").intValue());
        assertEquals(2, llama.get("num_key_value_heads").intValue());
        assertEquals(128, llama.get("intermediate_size").intValue());
        assertEquals(256, llama.get("max_position_embeddings").intValue());
        assertTrue(llama.get("rms_norm_eps").isDouble());
        assertEquals(1e-5, llama.get("rms_norm_eps").doubleValue());
        assertFalse(llama.has("n_embd"));

        ObjectNode bert = BertConfig.tiny().hiddenSize(32).hiddenAct("gelu_new").build().toJson();
        assertEquals(32, bert.get("hidden_size").intValue());
        assertEquals("gelu_new", bert.get("hidden_act").textValue());
    }

    @Test
    void tokenIdsAreNumbersOrListsAndNullRemovesThem() {
        ObjectNode one = LlamaConfig.tiny().eosTokenId(7).padTokenId(3).build().toJson();
        assertTrue(one.get("eos_token_id").isInt());
        assertEquals(7, one.get("eos_token_id").intValue());
        assertEquals(3, one.get("pad_token_id").intValue());

        LlamaConfig many = LlamaConfig.tiny().eosTokenId(5, 6).padTokenId(3).padTokenId(null).build();
        assertEquals("[5,6]", many.toJson().get("eos_token_id").toString());
        assertEquals(List.of(5, 6), many.eosTokenIds());
        assertFalse(many.toJson().has("pad_token_id"));
        assertTrue(many.padTokenId().isEmpty());
    }
}
