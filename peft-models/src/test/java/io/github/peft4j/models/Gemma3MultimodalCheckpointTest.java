package io.github.peft4j.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.core.io.PythonJson;
import io.github.peft4j.core.module.ModuleTree;
import io.github.peft4j.models.config.GemmaFields;
import io.github.peft4j.models.config.LlamaConfig;
import io.github.peft4j.models.config.ModelConfigs;
import io.github.peft4j.models.llama.Gemma3ForConditionalGeneration;
import io.github.peft4j.models.llama.LlamaForCausalLM;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A {@code Gemma3ForConditionalGeneration} checkpoint (config.json {@code model_type} gemma3 with
 * {@code text_config}; text weights under {@code language_model.model.*} as before transformers 4.52 or
 * {@code model.language_model.*} after; a vision tower and projector) loads as its text model and
 * computes what the same weights compute as {@code Gemma3ForCausalLM}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Gemma3MultimodalCheckpointTest {

    static final LlamaFamilyCheckpointsTest.Layout TEXT = new LlamaFamilyCheckpointsTest.Layout("gemma3_text",
            ", \"sliding_window\": 3, \"sliding_window_pattern\": 3", 3, 4, 2, 8, false, true, true, true, false);
    static final Map<String, long[]> VISION = Map.of(
            "vision_tower.vision_model.embeddings.patch_embedding.weight", TestCheckpoints.shape(16, 3, 2, 2),
            "vision_tower.vision_model.encoder.layers.0.self_attn.q_proj.weight", TestCheckpoints.shape(16, 16),
            "multi_modal_projector.mm_input_projection_weight", TestCheckpoints.shape(16, 32),
            "multi_modal_projector.mm_soft_emb_norm.weight", TestCheckpoints.shape(16));

    private NDManager manager;

    @BeforeAll
    void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    void tearDown() {
        manager.close();
    }

    /** The text tensors renamed for the multimodal layout (same order, so the same values), then the vision ones. */
    static Map<String, long[]> multimodalTensors(boolean newLayout) {
        Map<String, long[]> out = new LinkedHashMap<>();
        TEXT.tensors().forEach((key, shape) -> out.put(newLayout ? key.replaceFirst("^model\\.", "model.language_model.")
                : "language_model." + key, shape));
        new java.util.TreeMap<>(VISION).forEach((key, shape) -> out.put(newLayout ? "model." + key : key, shape));
        return out;
    }

    static String multimodalConfig() {
        // the text config without the fields Gemma 3 text defaults (rope_theta, query_pre_attn_scalar, ...)
        String text = TEXT.config().replace("\"model_type\": \"gemma3_text\", ", "");
        return "{\"architectures\": [\"Gemma3ForConditionalGeneration\"], \"model_type\": \"gemma3\","
                + " \"eos_token_id\": [1, 106], \"boi_token_index\": 255999, \"mm_tokens_per_image\": 256,"
                + " \"text_config\": " + text + ", \"vision_config\": {\"model_type\": \"siglip_vision_model\","
                + " \"hidden_size\": 16, \"num_hidden_layers\": 1}}";
    }

    @ParameterizedTest(name = "model.language_model keys: {0}")
    @ValueSource(booleans = {false, true})
    void loadsTheTextModelAndMatchesGemma3ForCausalLM(boolean newLayout, @TempDir Path tmp) throws Exception {
        Path causal = tmp.resolve("causal");
        Path multimodal = tmp.resolve("multimodal");
        TestCheckpoints.write(causal, TEXT.config(), TEXT.tensors(), 29);
        TestCheckpoints.write(multimodal, multimodalConfig(), multimodalTensors(newLayout), 29);
        try (PretrainedModel text = HfModels.load(causal, manager);
                PretrainedModel mm = HfModels.load(multimodal, manager)) {
            assertInstanceOf(LlamaForCausalLM.class, text.block());
            assertInstanceOf(Gemma3ForConditionalGeneration.class, mm.block());
            assertEquals("Gemma3ForConditionalGeneration", mm.model().architecture());
            LoadReport report = mm.loadReport();
            assertEquals(List.of(), report.unexpected());
            assertEquals(List.of(), report.newlyInitialized());
            assertEquals(new TreeSet<>(VISION.keySet()), report.ignoredBuffers().stream()
                    .map(k -> k.replaceFirst("^model\\.", "")).collect(Collectors.toCollection(TreeSet::new)));
            // module paths of transformers >= 4.52, so adapter keys are PEFT's for this class
            Map<String, ?> params = ModuleTree.of(mm.block()).parameters();
            assertEquals(TEXT.tensors().keySet().stream().map(k -> k.replaceFirst("^model\\.", "model.language_model."))
                    .collect(Collectors.toCollection(TreeSet::new)), new TreeSet<>(params.keySet()));
            assertTrue(ModuleTree.of(mm.block()).modules().containsKey("model.language_model.layers.0.self_attn.q_proj"));

            Batches batch = Batches.random(LlamaFamilyCheckpointsTest.V, new int[] {6, 3}, true, 5);
            float[] expected = TestSupport.forward(text.block(), manager, batch.inputs(manager));
            float[] actual = TestSupport.forward(mm.block(), manager, batch.inputs(manager));
            assertArrayEquals(expected, actual, 0f);

            LlamaConfig config = (LlamaConfig) mm.config();
            assertEquals(List.of(1, 106), config.eosTokenIds());
            assertEquals(10000.0, config.gemma().map(GemmaFields::ropeLocalBaseFreq).orElseThrow());
            assertEquals(1_000_000.0, config.ropeTheta());
            PeftCompatibilityException save = assertThrows(PeftCompatibilityException.class,
                    () -> HfModels.save(mm, tmp.resolve("out")));
            assertTrue(save.getMessage().contains("vision tower"), save.getMessage());
        }
    }

    @Test
    void anAbsentTextConfigMeansGemma3TextDefaults() {
        ObjectNode json = PythonJson.mapper().createObjectNode().put("model_type", "gemma3");
        LlamaConfig config = (LlamaConfig) ModelConfigs.parse(json, null);
        assertTrue(config.isGemma3Multimodal());
        assertEquals("gemma3_text", config.modelType());
        assertEquals(262208, config.vocabSize());
        assertEquals(2304, config.hiddenSize());
        assertEquals(26, config.numLayers());
        assertEquals(256, config.headDim());
        assertEquals(4096, config.slidingWindow(0));
        assertEquals(null, config.slidingWindow(5));
        assertEquals("gemma3", config.toJson().path("model_type").asText());
    }
}
