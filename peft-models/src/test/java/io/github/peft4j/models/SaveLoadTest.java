package io.github.peft4j.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.module.ModuleTree;
import io.github.peft4j.core.safetensors.SafetensorsFile;
import io.github.peft4j.models.config.BertConfig;
import io.github.peft4j.models.config.Gpt2Config;
import io.github.peft4j.models.config.LlamaConfig;
import io.github.peft4j.models.config.ModelConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Saving writes what transformers' save_pretrained writes; saving and loading again changes nothing. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SaveLoadTest {

    @TempDir
    Path tmp;

    private NDManager manager;

    @BeforeAll
    void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    void tearDown() {
        manager.close();
    }

    @Test
    void savingALoadedHfCheckpointReproducesItsFilesByteForByte() throws IOException {
        Path source = TestSupport.fixture("fake_gpt2");
        Path out = tmp.resolve("fake_gpt2");
        try (PretrainedModel model = HfModels.load(source, manager)) {
            HfModels.save(model, out);
        }
        assertEquals(-1L, Files.mismatch(source.resolve("model.safetensors"), out.resolve("model.safetensors")),
                "model.safetensors differs");
        assertEquals(-1L, Files.mismatch(source.resolve("config.json"), out.resolve("config.json")),
                "config.json differs:\n" + Files.readString(out.resolve("config.json")));
        for (String companion : new String[] {"tokenizer.json", "tokenizer_config.json", "vocab.json", "merges.txt"}) {
            assertEquals(-1L, Files.mismatch(source.resolve(companion), out.resolve(companion)), companion);
        }
    }

    @Test
    void aBareCheckpointIsSavedInTheLmHeadLayout() throws IOException {
        Path out = tmp.resolve("tiny_gpt2");
        try (PretrainedModel model = HfModels.load(TestSupport.fixture("tiny_gpt2"), manager)) {
            HfModels.save(model, out);
        }
        try (SafetensorsFile f = SafetensorsFile.open(out.resolve("model.safetensors"))) {
            assertTrue(f.names().stream().allMatch(n -> n.startsWith("transformer.")), f.names().toString());
            assertEquals(16, f.names().size());
        }
        assertTrue(Files.readString(out.resolve("config.json")).contains("\"GPT2LMHeadModel\""));
        try (PretrainedModel reloaded = HfModels.load(out, manager);
                PretrainedModel original = HfModels.load(TestSupport.fixture("tiny_gpt2"), manager)) {
            assertFalse(reloaded.loadReport().bareCheckpoint());
            assertSameWeights(original, reloaded);
        }
    }

    static Stream<Arguments> configs() {
        return Stream.of(
                Arguments.of("llama untied", LlamaConfig.tiny().build(), true),
                Arguments.of("llama tied", LlamaConfig.tiny().tieWordEmbeddings(true).build(), false),
                Arguments.of("qwen2", LlamaConfig.tiny("qwen2").build(), true),
                Arguments.of("gpt2 tied", Gpt2Config.tiny().build(), false),
                Arguments.of("gpt2 untied", Gpt2Config.tiny().tieWordEmbeddings(false).build(), true),
                Arguments.of("bert", BertConfig.tiny().numLabels(3).build(), false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void saveLoadSaveIsByteIdentical(String name, ModelConfig config, boolean hasLmHeadWeight) throws IOException {
        Path first = tmp.resolve("first");
        Path second = tmp.resolve("second");
        try (PretrainedModel model = ModelFactory.create(config, manager, 9)) {
            TestSupport.randomize(model.block(), 10);
            HfModels.save(model, first);
            try (PretrainedModel loaded = HfModels.load(first, manager)) {
                assertEquals(LoadReport.none().newlyInitialized(), loaded.loadReport().newlyInitialized());
                assertEquals(LoadReport.none().unexpected(), loaded.loadReport().unexpected());
                assertSameWeights(model, loaded);
                Batches batch = Batches.random(config.vocabSize(), new int[] {5, 3}, !name.equals("bert"), 4);
                assertArrayEquals(TestSupport.forward(model.block(), manager, batch.inputs(manager)),
                        TestSupport.forward(loaded.block(), manager, batch.inputs(manager)));
                HfModels.save(loaded, second);
            }
        }
        assertEquals(-1L, Files.mismatch(first.resolve("model.safetensors"), second.resolve("model.safetensors")));
        assertEquals(-1L, Files.mismatch(first.resolve("config.json"), second.resolve("config.json")));
        try (SafetensorsFile f = SafetensorsFile.open(first.resolve("model.safetensors"))) {
            assertEquals(hasLmHeadWeight, f.names().contains("lm_head.weight"),
                    "a tied head is written once, under the embedding's name");
        }
    }

    @Test
    void largeModelsAreSharded() throws IOException {
        Path out = tmp.resolve("sharded");
        try (PretrainedModel model = ModelFactory.create(LlamaConfig.tiny().build(), manager, 5)) {
            HfModels.save(model.block(), out, 40_000);
            assertTrue(Files.isRegularFile(out.resolve("model.safetensors.index.json")));
            assertFalse(Files.exists(out.resolve("model.safetensors")));
            try (Stream<Path> files = Files.list(out)) {
                assertTrue(files.filter(p -> p.getFileName().toString().matches("model-\\d{5}-of-\\d{5}\\.safetensors"))
                        .count() > 1);
            }
            try (PretrainedModel loaded = HfModels.load(out, manager)) {
                assertSameWeights(model, loaded);
            }
        }
    }

    @Test
    void aModelWithAdapterLayersOrInsideAPeftModelIsRefused() {
        try (PretrainedModel model = ModelFactory.create(LlamaConfig.tiny().build(), manager, 5)) {
            try (PeftModel peft = PeftModel.wrap(model.block())) {
                PeftCompatibilityException e = assertThrows(PeftCompatibilityException.class,
                        () -> HfModels.save(peft, tmp.resolve("x")));
                assertTrue(e.getMessage().contains("mergeAndUnload"), e.getMessage());
            }
            ai.djl.nn.Block upProj = ModuleTree.of(model.block()).get("model.layers.0.mlp.up_proj");
            io.github.peft4j.core.module.BlockSurgery.replace(model.block(), "model.layers.0.mlp.up_proj",
                    new Wrapped(upProj));
            PeftCompatibilityException e = assertThrows(PeftCompatibilityException.class,
                    () -> HfModels.save(model.block(), tmp.resolve("y")));
            assertTrue(e.getMessage().contains("model.layers.0.mlp.up_proj.base_layer.weight"), e.getMessage());
        }
    }

    static void assertSameWeights(PretrainedModel a, PretrainedModel b) {
        Map<String, Parameter> pa = ModuleTree.of(a.block()).parameters();
        Map<String, Parameter> pb = ModuleTree.of(b.block()).parameters();
        assertEquals(pa.keySet(), pb.keySet());
        for (String key : pa.keySet()) {
            assertArrayEquals(pa.get(key).getArray().toFloatArray(), pb.get(key).getArray().toFloatArray(), key);
        }
    }

    /** A stand-in adapter layer: keeps the original as {@code base_layer}. */
    static final class Wrapped extends ai.djl.nn.AbstractBlock {
        private final ai.djl.nn.Block base;

        Wrapped(ai.djl.nn.Block base) {
            this.base = addChildBlock("base_layer", base);
        }

        @Override
        protected NDList forwardInternal(ai.djl.training.ParameterStore ps, NDList in, boolean training,
                ai.djl.util.PairList<String, Object> params) {
            return base.forward(ps, in, training, params);
        }

        @Override
        public ai.djl.ndarray.types.Shape[] getOutputShapes(ai.djl.ndarray.types.Shape[] inputShapes) {
            return base.getOutputShapes(inputShapes);
        }
    }
}
