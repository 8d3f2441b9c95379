package io.github.peft4j.prefix;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import io.github.peft4j.core.PeftConfig;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.io.AdapterConfigJson;
import io.github.peft4j.core.safetensors.SafetensorsFile;
import io.github.peft4j.prefix.prefixtuning.PrefixTuningConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PEFT's own experiment configs (method_comparison/MetaMathQA/experiments/*, committed JSON) applied to
 * a model of Llama-3.2-3B's sizes give PEFT's measured trainable parameters and file sizes
 * (method_comparison/MetaMathQA/results/*.json; reference/peft-format.md §2.9).
 */
class PeftMeasurementsTest {

    private static final String PREFIX = "{\"auto_mapping\": null, \"base_model_name_or_path\": null,"
            + " \"encoder_hidden_size\": 3072, \"inference_mode\": false, \"num_attention_heads\": 24,"
            + " \"num_layers\": 28, \"num_transformer_submodules\": 1, \"num_virtual_tokens\": 200,"
            + " \"peft_type\": \"PREFIX_TUNING\", \"prefix_projection\": false, \"revision\": null,"
            + " \"task_type\": \"CAUSAL_LM\", \"token_dim\": 3072}";
    private static final String PROMPT = "{\"auto_mapping\": null, \"base_model_name_or_path\": null,"
            + " \"inference_mode\": false, \"num_attention_heads\": 24, \"num_layers\": 28,"
            + " \"num_transformer_submodules\": 1, \"num_virtual_tokens\": 200, \"peft_type\": \"PROMPT_TUNING\","
            + " \"prompt_tuning_init\": \"SAMPLE_VOCAB\", \"prompt_tuning_init_text\": null, \"revision\": null,"
            + " \"task_type\": \"CAUSAL_LM\", \"token_dim\": 3072, \"tokenizer_kwargs\": null,"
            + " \"tokenizer_name_or_path\": null}";
    private static final String P_TUNING = "{\"auto_mapping\": null, \"base_model_name_or_path\": null,"
            + " \"encoder_dropout\": 0.0, \"encoder_hidden_size\": 3072, \"encoder_num_layers\": 2,"
            + " \"encoder_reparameterization_type\": \"MLP\", \"inference_mode\": false, \"num_attention_heads\": 24,"
            + " \"num_layers\": 28, \"num_transformer_submodules\": 1, \"num_virtual_tokens\": 20,"
            + " \"peft_type\": \"P_TUNING\", \"revision\": null, \"task_type\": \"CAUSAL_LM\", \"token_dim\": 3072}";

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

    private record Saved(long trainable, long fileBytes, long[] shape, List<String> names, String header) {}

    private Saved apply(String json) throws IOException {
        PeftConfig config = AdapterConfigJson.parse(json);
        try (PeftModel model = PeftModel.create(SizedModel.llama32x3b(manager), config)) {
            long trainable = model.countParameters().trainable();
            model.save(tmp);
            Path file = tmp.resolve("adapter_model.safetensors");
            byte[] bytes = Files.readAllBytes(file);
            long headerLength = java.nio.ByteBuffer.wrap(bytes, 0, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
            String header = new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8);
            try (SafetensorsFile f = SafetensorsFile.open(file)) {
                return new Saved(trainable, bytes.length, f.info("prompt_embeddings").shape(), List.copyOf(f.names()),
                        header);
            }
        }
    }

    @Test
    void promptTuningMatchesPeftsBenchmark() throws IOException {
        Saved s = apply(PROMPT);
        assertEquals(614_400, s.trainable());
        assertEquals(2_457_728, s.fileBytes());
        assertArrayEquals(new long[] {200, 3072}, s.shape());
        assertEquals("{\"__metadata__\":{\"format\":\"pt\"},\"prompt_embeddings\":{\"dtype\":\"F32\","
                + "\"shape\":[200,3072],\"data_offsets\":[0,2457600]}}      ", s.header());
    }

    @Test
    void prefixTuningMatchesPeftsBenchmarkWithTheGqaRewrite() throws IOException {
        Saved s = apply(PREFIX);
        assertEquals(11_468_800, s.trainable(), "200 · 28 · 2 · (128 · 8 key/value heads)");
        assertEquals(45_875_328, s.fileBytes());
        assertArrayEquals(new long[] {200, 57_344}, s.shape());
        PrefixTuningConfig saved = (PrefixTuningConfig) AdapterConfigJson.read(tmp.resolve("adapter_config.json"));
        assertEquals(1024, saved.tokenDim());
        assertEquals(8, saved.numAttentionHeads());
        assertEquals(3072, saved.encoderHiddenSize(), "a set encoder_hidden_size is kept");
        assertEquals(28, saved.numLayers());
    }

    @Test
    void pTuningMatchesPeftsBenchmarkAndSavesOnlyTheOutput() throws IOException {
        Saved s = apply(P_TUNING);
        assertEquals(28_382_208, s.trainable(), "20·3072 table + 3 Linear(3072, 3072) with bias");
        assertEquals(245_880, s.fileBytes());
        assertEquals(List.of("prompt_embeddings"), s.names());
        assertArrayEquals(new long[] {20, 3072}, s.shape());
    }
}
