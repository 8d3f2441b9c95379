package io.github.peft4j.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import io.github.peft4j.core.module.ModuleTree;
import io.github.peft4j.core.safetensors.SafetensorsFile;
import io.github.peft4j.models.bert.BertForSequenceClassification;
import io.github.peft4j.models.config.BertConfig;
import io.github.peft4j.models.config.Gpt2Config;
import io.github.peft4j.models.generation.GenerationConfig;
import io.github.peft4j.models.generation.GenerationResult;
import io.github.peft4j.models.generation.Generator;
import io.github.peft4j.models.gpt2.Gpt2LmHeadModel;
import io.github.peft4j.models.reference.BertReference;
import io.github.peft4j.models.reference.Gpt2Reference;
import io.github.peft4j.models.reference.RowInput;
import io.github.peft4j.models.reference.Weights;
import io.github.peft4j.models.tokenizer.HfTokenizer;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** The checkpoints written by transformers 4.36 load into the blocks tensor by tensor. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FixtureLoadingTest {

    private NDManager manager;

    @BeforeAll
    void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    void tearDown() {
        manager.close();
    }

    /** Every checkpoint tensor equals the parameter at the same HF path (after the prefix rule). */
    private static void assertEveryTensorLands(PretrainedModel model, String fixture, String prefix, Set<String> skipped) {
        Map<String, Parameter> params = ModuleTree.of(model.block()).parameters();
        Set<String> loaded = new TreeSet<>();
        try (SafetensorsFile file = SafetensorsFile.open(TestSupport.fixture(fixture).resolve("model.safetensors"))) {
            for (String name : file.names()) {
                if (skipped.stream().anyMatch(name::startsWith)) {
                    continue;
                }
                Parameter p = params.get(prefix + name);
                assertTrue(p != null, "no parameter at " + prefix + name);
                assertArrayEquals(file.info(name).shape(), p.getArray().getShape().getShape(), name);
                FloatBuffer raw = file.rawBytes(name).asFloatBuffer();
                float[] expected = new float[raw.remaining()];
                raw.get(expected);
                assertArrayEquals(expected, p.getArray().toFloatArray(), name);
                loaded.add(prefix + name);
            }
        }
        Set<String> rest = new TreeSet<>(params.keySet());
        rest.removeAll(loaded);
        assertEquals(new TreeSet<>(model.loadReport().newlyInitialized()), rest,
                "parameters not filled from the checkpoint must be exactly the reported new ones");
    }

    @Test
    void bareGpt2ModelCheckpointGetsTheTransformerPrefix() {
        try (PretrainedModel model = HfModels.load(TestSupport.fixture("tiny_gpt2"), manager)) {
            assertInstanceOf(Gpt2LmHeadModel.class, model.block());
            assertTrue(model.loadReport().bareCheckpoint());
            assertEquals(List.of(), model.loadReport().unexpected());
            assertEquals(List.of(), model.loadReport().newlyInitialized(), "the tied head needs no weight");
            assertEveryTensorLands(model, "tiny_gpt2", "transformer.", Set.of());
            // issue 20: the slow layout (vocab.json + merges.txt, no tokenizer.json) now loads
            assertTrue(model.tokenizer().isPresent(), "tiny_gpt2 has vocab.json + merges.txt");
            assertEquals(21, model.config().vocabSize());
            assertEquals(List.of(20), model.config().eosTokenIds());
        }
    }

    @Test
    void gpt2LmHeadCheckpointLoadsAndRunsLikeTheReference() {
        try (PretrainedModel model = HfModels.load(TestSupport.fixture("fake_gpt2"), manager)) {
            assertFalse(model.loadReport().bareCheckpoint());
            assertEquals(List.of(), model.loadReport().unexpected());
            assertEveryTensorLands(model, "fake_gpt2", "", Set.of());
            assertEquals(16, model.block().getParameters().size(), "16 tensors, the head tied to wte");
            assertEquals(java.util.Optional.of("fake-gpt2"), model.config().nameOrPath());
            assertEquals(TestSupport.fixture("fake_gpt2").toString(), model.model().nameOrPath().orElseThrow());

            Gpt2Config config = (Gpt2Config) model.config();
            Gpt2Reference ref = new Gpt2Reference(config, Weights.of(model.block()));
            long[] ids = {15496, 11, 995, 0, 50256};
            float[] logits = TestSupport.forward(model.block(), manager, new NDList(manager.create(new long[][] {ids})));
            double[][] expected = ref.forward(new RowInput(ids));
            double[] flat = new double[logits.length];
            for (int t = 0; t < ids.length; t++) {
                System.arraycopy(expected[t], 0, flat, t * config.vocabSize(), config.vocabSize());
            }
            assertTrue(TestSupport.maxAbsDiff(logits, flat) < 1e-5);
        }
    }

    @Test
    void bertLmHeadCheckpointFillsTheEncoderAndInitialisesTheClassifier() {
        try (PretrainedModel model = HfModels.load(TestSupport.fixture("bert_tiniest"), manager)) {
            assertInstanceOf(BertForSequenceClassification.class, model.block());
            LoadReport report = model.loadReport();
            assertEquals(Set.of("bert.pooler.dense.weight", "bert.pooler.dense.bias", "classifier.weight",
                    "classifier.bias"), Set.copyOf(report.newlyInitialized()));
            assertEquals(Set.of("cls.predictions.bias", "cls.predictions.transform.LayerNorm.bias",
                    "cls.predictions.transform.LayerNorm.weight", "cls.predictions.transform.dense.bias",
                    "cls.predictions.transform.dense.weight"), Set.copyOf(report.unexpected()));
            assertEveryTensorLands(model, "bert_tiniest", "", Set.of("cls."));
            // transformers' init of a fresh head: normal(0, 0.02) weights, zero biases
            float[] w = ModuleTree.of(model.block()).parameters().get("classifier.weight").getArray().toFloatArray();
            assertEquals(2 * 4, w.length);
            double sq = 0;
            for (float v : w) {
                sq += v * v;
                assertTrue(Math.abs(v) < 0.02 * 6);
            }
            assertTrue(sq > 0);
            assertArrayEquals(new float[2],
                    ModuleTree.of(model.block()).parameters().get("classifier.bias").getArray().toFloatArray());

            BertConfig config = (BertConfig) model.config();
            BertReference ref = new BertReference(config, Weights.of(model.block()));
            long[] ids = {101, 7592, 1010, 2088, 999, 102};
            float[] logits = TestSupport.forward(model.block(), manager, new NDList(manager.create(new long[][] {ids})));
            double[] expected = ref.forward(new RowInput(ids));
            assertTrue(TestSupport.maxAbsDiff(logits, expected) < 1e-5);
        }
    }

    @Test
    void realGpt2TokenizerRoundTrips() {
        try (PretrainedModel model = HfModels.load(TestSupport.fixture("fake_gpt2"), manager)) {
            HfTokenizer tok = model.tokenizer().orElseThrow();
            assertArrayEquals(new long[] {15496, 11, 995, 0}, tok.encode("Hello, world!"));
            String sentence = "The quick brown fox jumps over the lazy dog, 3 times.";
            long[] ids = tok.encode(sentence);
            assertEquals(sentence, tok.decode(ids));
            assertEquals(50256, tok.eosTokenId().orElseThrow());
            assertEquals(50256, tok.bosTokenId().orElseThrow());
            assertTrue(tok.padTokenId().isEmpty(), "GPT-2 has no pad token");
            // no truncation at DJL's default 512 tokens
            String longText = "word ".repeat(699) + "word";
            assertEquals(700, tok.encode(longText).length);
        }
    }

    /** load, tokenize, generate, decode: greedy tokens equal the argmax of full forwards, step by step. */
    @Test
    void gpt2EndToEndGeneration() {
        try (PretrainedModel model = HfModels.load(TestSupport.fixture("fake_gpt2"), manager)) {
            HfTokenizer tok = model.tokenizer().orElseThrow();
            long[] prompt = tok.encode("Hello, world");
            GenerationResult out = Generator.generate(model.block(), List.of(prompt), GenerationConfig.greedy(4));
            long[] sequence = prompt;
            for (long produced : out.tokens().get(0)) {
                float[] logits = TestSupport.forward(model.block(), manager, new NDList(manager.create(new long[][] {sequence})));
                int vocab = model.config().vocabSize();
                int best = 0;
                for (int v = 1; v < vocab; v++) {
                    if (logits[logits.length - vocab + v] > logits[logits.length - vocab + best]) {
                        best = v;
                    }
                }
                assertEquals(best, produced);
                sequence = java.util.Arrays.copyOf(sequence, sequence.length + 1);
                sequence[sequence.length - 1] = produced;
            }
            int expectedLength = out.finishReasons().get(0) == GenerationResult.FinishReason.EOS
                    ? out.tokens().get(0).length : 4;
            assertEquals(expectedLength, out.tokens().get(0).length);
            assertTrue(tok.decode(sequence).startsWith("Hello, world"));
        }
    }

    @Test
    void realBertTokenizerRoundTrips() {
        try (PretrainedModel model = HfModels.load(TestSupport.fixture("bert_tiniest"), manager)) {
            HfTokenizer tok = model.tokenizer().orElseThrow();
            assertArrayEquals(new long[] {101, 7592, 1010, 2088, 999, 102}, tok.encode("Hello, world!", true));
            assertArrayEquals(new long[] {7592, 1010, 2088, 999}, tok.encode("Hello, world!"));
            long[] ids = tok.encode("The quick brown fox jumps over the lazy dog.");
            assertEquals("the quick brown fox jumps over the lazy dog.", tok.decode(ids));
            assertEquals(0, tok.padTokenId().orElseThrow());
            assertEquals(101, tok.specialTokenId("[CLS]").orElseThrow());
        }
    }
}
