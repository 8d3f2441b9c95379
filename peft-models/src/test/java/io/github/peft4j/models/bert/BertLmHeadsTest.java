package io.github.peft4j.models.bert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.io.PythonJson;
import io.github.peft4j.core.module.ModuleTree;
import io.github.peft4j.core.safetensors.SafetensorsFile;
import io.github.peft4j.models.Batches;
import io.github.peft4j.models.HfModels;
import io.github.peft4j.models.LoadOptions;
import io.github.peft4j.models.LoadReport;
import io.github.peft4j.models.ModelFactory;
import io.github.peft4j.models.PretrainedModel;
import io.github.peft4j.models.TestCheckpoints;
import io.github.peft4j.models.TestSupport;
import io.github.peft4j.models.config.BertConfig;
import io.github.peft4j.models.config.Gpt2Config;
import io.github.peft4j.models.reference.BertReference;
import io.github.peft4j.models.reference.RowInput;
import io.github.peft4j.models.reference.Weights;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * BERT's token heads ({@code BertForMaskedLM}, {@code BertLMHeadModel}) load the {@code cls.*}
 * weights of a real transformers checkpoint and give the logits of a float64 forward computed from
 * the raw safetensors tensors.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BertLmHeadsTest {

    private static final long[] HELLO_WORLD = {101, 7592, 1010, 2088, 999, 102};

    private NDManager manager;

    @BeforeAll
    void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    void tearDown() {
        manager.close();
    }

    private static PretrainedModel load(Path dir, NDManager manager, String architecture) {
        return HfModels.load(dir, manager, LoadOptions.builder().architecture(architecture).build());
    }

    private static void assertTokenLogits(float[] logits, double[][] expected, double tolerance) {
        int vocab = expected[0].length;
        assertEquals(expected.length * vocab, logits.length);
        double worst = 0;
        for (int t = 0; t < expected.length; t++) {
            for (int v = 0; v < vocab; v++) {
                worst = Math.max(worst, Math.abs(expected[t][v] - logits[t * vocab + v]));
            }
        }
        assertTrue(worst < tolerance, "max |djl - reference| = " + worst);
        assertTrue(worst > 0, "suspicious exact equality");
    }

    @Test
    void maskedLmLoadsEveryTensorOfTheRealCheckpointAndMatchesTheReference() {
        Path dir = TestSupport.fixture("bert_tiniest");
        try (PretrainedModel model = load(dir, manager, "BertForMaskedLM")) {
            assertInstanceOf(BertForMaskedLM.class, model.block());
            LoadReport report = model.loadReport();
            assertEquals(List.of(), report.unexpected(), "cls.* weights are used");
            assertEquals(List.of(), report.newlyInitialized());
            Set<String> params = new TreeSet<>(ModuleTree.of(model.block()).parameters().keySet());
            try (SafetensorsFile file = SafetensorsFile.open(dir.resolve("model.safetensors"))) {
                assertEquals(new TreeSet<>(file.names()), params, "one parameter per tensor, decoder tied");
            }
            float[] logits = TestSupport.forward(model.block(), manager, new NDList(manager.create(new long[][] {HELLO_WORLD})));
            Weights raw = Weights.fromSafetensors(dir.resolve("model.safetensors"));
            double[][] expected = new BertReference((BertConfig) model.config(), raw).tokenLogits(new RowInput(HELLO_WORLD));
            assertEquals(30522, expected[0].length);
            assertTokenLogits(logits, expected, 1e-5);
            assertEquals(Set.of("cls.predictions.decoder"), Set.of(model.model().outputEmbeddingsPath().orElseThrow()));
        }
    }

    @Test
    void lmHeadModelIsCausalWhenTheConfigSaysIsDecoder(@TempDir Path tmp) throws Exception {
        Path file = TestCheckpoints.write(tmp, tinyConfig("BertLMHeadModel", ", \"is_decoder\": true"),
                tinyShapes(false), 13);
        try (PretrainedModel decoder = load(tmp, manager, "BertLMHeadModel")) {
            assertInstanceOf(BertLMHeadModel.class, decoder.block());
            assertEquals(List.of(), decoder.loadReport().unexpected());
            assertEquals(List.of(), decoder.loadReport().newlyInitialized());
            BertConfig causal = (BertConfig) decoder.config();
            assertTrue(causal.isDecoder());
            Weights raw = Weights.fromSafetensors(file);
            BertReference bidirectional = new BertReference(BertConfig.tiny().vocabSize(40).hiddenSize(8)
                    .numAttentionHeads(2).intermediateSize(16).maxPositionEmbeddings(16).build(), raw);
            // a right-padded batch: every real position matches the causal reference, not the bidirectional one
            Batches batch = Batches.random(causal.vocabSize(), new int[] {6, 3}, false, 5);
            float[] logits = TestSupport.forward(decoder.block(), manager, batch.inputs(manager));
            int vocab = causal.vocabSize();
            for (int r = 0; r < 2; r++) {
                RowInput row = batch.rowInputs().get(r);
                int real = r == 0 ? 6 : 3;
                float[] got = java.util.Arrays.copyOfRange(logits, r * 6 * vocab, (r * 6 + real) * vocab);
                assertTokenLogits(got, java.util.Arrays.copyOf(new BertReference(causal, raw).tokenLogits(row), real), 1e-5);
                double[][] seeing = java.util.Arrays.copyOf(bidirectional.tokenLogits(row), real);
                assertThrows(AssertionError.class, () -> assertTokenLogits(got, seeing, 1e-2));
            }
        }
    }

    private static String tinyConfig(String architecture, String extra) {
        return "{\"model_type\": \"bert\", \"architectures\": [\"" + architecture + "\"], \"vocab_size\": 40,"
                + " \"hidden_size\": 8, \"num_hidden_layers\": 2, \"num_attention_heads\": 2, \"intermediate_size\": 16,"
                + " \"max_position_embeddings\": 16" + extra + "}";
    }

    /** transformers' BertForMaskedLM state dict of the tiny config, as save_pretrained writes it. */
    private static Map<String, long[]> tinyShapes(boolean untiedDecoder) {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        shapes.put("bert.embeddings.word_embeddings.weight", TestCheckpoints.shape(40, 8));
        shapes.put("bert.embeddings.position_embeddings.weight", TestCheckpoints.shape(16, 8));
        shapes.put("bert.embeddings.token_type_embeddings.weight", TestCheckpoints.shape(2, 8));
        shapes.put("bert.embeddings.LayerNorm.weight", TestCheckpoints.shape(8));
        shapes.put("bert.embeddings.LayerNorm.bias", TestCheckpoints.shape(8));
        for (int i = 0; i < 2; i++) {
            String p = "bert.encoder.layer." + i + ".";
            for (String m : List.of("attention.self.query", "attention.self.key", "attention.self.value",
                    "attention.output.dense")) {
                shapes.put(p + m + ".weight", TestCheckpoints.shape(8, 8));
                shapes.put(p + m + ".bias", TestCheckpoints.shape(8));
            }
            shapes.put(p + "attention.output.LayerNorm.weight", TestCheckpoints.shape(8));
            shapes.put(p + "attention.output.LayerNorm.bias", TestCheckpoints.shape(8));
            shapes.put(p + "intermediate.dense.weight", TestCheckpoints.shape(16, 8));
            shapes.put(p + "intermediate.dense.bias", TestCheckpoints.shape(16));
            shapes.put(p + "output.dense.weight", TestCheckpoints.shape(8, 16));
            shapes.put(p + "output.dense.bias", TestCheckpoints.shape(8));
            shapes.put(p + "output.LayerNorm.weight", TestCheckpoints.shape(8));
            shapes.put(p + "output.LayerNorm.bias", TestCheckpoints.shape(8));
        }
        shapes.put("cls.predictions.bias", TestCheckpoints.shape(40));
        shapes.put("cls.predictions.transform.dense.weight", TestCheckpoints.shape(8, 8));
        shapes.put("cls.predictions.transform.dense.bias", TestCheckpoints.shape(8));
        shapes.put("cls.predictions.transform.LayerNorm.weight", TestCheckpoints.shape(8));
        shapes.put("cls.predictions.transform.LayerNorm.bias", TestCheckpoints.shape(8));
        if (untiedDecoder) {
            shapes.put("cls.predictions.decoder.weight", TestCheckpoints.shape(40, 8));
            shapes.put("cls.predictions.decoder.bias", TestCheckpoints.shape(40));
        }
        return shapes;
    }

    @Test
    void untiedDecoderOwnsItsWeightAndTheBiasAliasIsSkipped(@TempDir Path tmp) throws Exception {
        Map<String, long[]> shapes = tinyShapes(true);
        shapes.put("cls.seq_relationship.weight", TestCheckpoints.shape(2, 8));
        Path file = TestCheckpoints.write(tmp, tinyConfig("BertForPreTraining", ", \"tie_word_embeddings\": false"),
                shapes, 9);
        try (PretrainedModel model = load(tmp, manager, "BertForMaskedLM")) {
            LoadReport report = model.loadReport();
            assertEquals(List.of("cls.seq_relationship.weight"), report.unexpected(), "BertForPreTraining's NSP head");
            assertEquals(List.of("cls.predictions.decoder.bias"), report.ignoredBuffers());
            assertTrue(ModuleTree.of(model.block()).parameters().containsKey("cls.predictions.decoder.weight"));
            long[] ids = {1, 7, 39, 4, 22};
            float[] logits = TestSupport.forward(model.block(), manager, new NDList(manager.create(new long[][] {ids})));
            BertReference ref = new BertReference((BertConfig) model.config(), Weights.fromSafetensors(file));
            assertTokenLogits(logits, ref.tokenLogits(new RowInput(ids)), 1e-5);
        }
    }

    @Test
    void savedMaskedLmSaysItsClassAndLoadsBackIdentically(@TempDir Path tmp) throws Exception {
        try (PretrainedModel model = load(TestSupport.fixture("bert_tiniest"), manager, "BertForMaskedLM")) {
            HfModels.save(model, tmp);
            ObjectNode saved = (ObjectNode) PythonJson.mapper().readTree(tmp.resolve("config.json").toFile());
            assertEquals("BertForMaskedLM", saved.get("architectures").get(0).asText());
            try (SafetensorsFile file = SafetensorsFile.open(tmp.resolve("model.safetensors"))) {
                assertTrue(file.contains("cls.predictions.bias"));
                assertTrue(!file.contains("cls.predictions.decoder.weight"), "a tied decoder is written once");
            }
            try (PretrainedModel again = load(tmp, manager, "BertForMaskedLM")) {
                NDList ids = new NDList(manager.create(new long[][] {HELLO_WORLD}));
                assertEquals(0, TestSupport.maxAbsDiff(TestSupport.forward(model.block(), manager, ids),
                        TestSupport.forward(again.block(), manager, ids)));
            }
        }
    }

    @Test
    void aFreshMaskedLmInitialisesItsHeadAsTransformers() {
        try (PretrainedModel model = ModelFactory.create(BertConfig.tiny().build(), "BertForMaskedLM", manager, 3)) {
            var params = ModuleTree.of(model.block()).parameters();
            assertEquals(0f, params.get("cls.predictions.bias").getArray().abs().max().getFloat());
            assertEquals(1f, params.get("cls.predictions.transform.LayerNorm.weight").getArray().min().getFloat());
            float[] logits = TestSupport.forward(model.block(), manager, new NDList(manager.create(new long[][] {{5, 6, 7}})));
            assertEquals(3 * 128, logits.length);
        }
    }

    @Test
    void aHeadTheConfigCannotBuildIsRefused() {
        PeftConfigException e = assertThrows(PeftConfigException.class,
                () -> ModelFactory.newModel(Gpt2Config.tiny().build(), null, "BertForMaskedLM"));
        assertTrue(e.getMessage().contains("GPT2LMHeadModel"), e.getMessage());
    }
}
