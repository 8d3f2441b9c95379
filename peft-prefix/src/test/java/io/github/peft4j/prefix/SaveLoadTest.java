package io.github.peft4j.prefix;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.core.PeftConfig;
import io.github.peft4j.core.PeftFormatException;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.io.AdapterConfigJson;
import io.github.peft4j.core.safetensors.SafetensorsFile;
import io.github.peft4j.core.safetensors.SafetensorsWriter;
import io.github.peft4j.prefix.prefixtuning.PrefixTuningConfig;
import io.github.peft4j.prefix.prompttuning.PromptTuningConfig;
import io.github.peft4j.prefix.ptuning.PromptEncoderConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Save → load gives the same outputs; the file holds PEFT's single tensor; bad files are refused. */
class SaveLoadTest {

    private static final long[][] IDS = {{3, 7, 1, 0}, {5, 5, 2, 9}};

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

    static Stream<PeftConfig> configs() {
        return EncoderConfigs.deterministic(6, 5, 5);
    }

    private float[] forward(PeftModel model) {
        return model.forward(new ParameterStore(manager, false), new NDList(manager.create(IDS)), false).head()
                .toFloatArray();
    }

    @ParameterizedTest
    @MethodSource("configs")
    void saveThenLoadGivesTheSameOutputs(PeftConfig config) {
        PromptLearningConfig c = (PromptLearningConfig) config;
        float[] before;
        long rows;
        long width;
        try (PeftModel model = PeftModel.create(ToyPromptModel.small(manager, 3), config)) {
            before = forward(model);
            model.save(tmp);
            PromptLearningConfig filled = (PromptLearningConfig) model.config("default");
            rows = filled.totalVirtualTokens();
            width = filled instanceof PrefixTuningConfig p ? p.prefixWidth() : filled.tokenDim();
        }
        try (SafetensorsFile file = SafetensorsFile.open(tmp.resolve("adapter_model.safetensors"))) {
            assertEquals(List.of("prompt_embeddings"), List.copyOf(file.names()));
            assertArrayEquals(new long[] {rows, width}, file.info("prompt_embeddings").shape());
        }
        try (PeftModel loaded = PeftModel.fromPretrained(ToyPromptModel.small(manager, 3), tmp)) {
            assertTrue(loaded.config("default").inferenceMode());
            assertEquals(0, loaded.countParameters().trainable());
            assertEquals(List.of("prompt_encoder.default.embedding.weight"),
                    List.copyOf(loaded.adapterParameters("default").keySet()),
                    "an adapter loaded for inference holds the saved output only, as PEFT's inference mode");
            assertArrayEquals(before, forward(loaded), 1e-6f, c.peftType());
        }
        try (PeftModel trainable = PeftModel.fromPretrained(ToyPromptModel.small(manager, 3), tmp, "default", true)) {
            assertEquals(rows * width, trainable.countParameters().trainable(),
                    "loaded trainable: the saved output itself is trained");
            assertArrayEquals(before, forward(trainable), 1e-6f);
        }
    }

    @Test
    void aNamedAdapterLivesInItsSubdirectory() {
        try (PeftModel model = PeftModel.wrap(ToyPromptModel.small(manager, 3))) {
            model.addAdapter("support", PromptTuningConfig.builder().numVirtualTokens(2).build());
            assertTrue(model.adapterParameters("support").containsKey("prompt_encoder.support.embedding.weight"));
            model.save(tmp);
        }
        assertTrue(tmp.resolve("support/adapter_model.safetensors").toFile().isFile());
    }

    @Test
    void aProjectedPrefixInTrainingModeCannotTakeASavedPrefix() {
        // a file that says inference_mode=false: the adapter is built with its projection, in training mode
        writeAdapter(PrefixTuningConfig.builder().numVirtualTokens(2).prefixProjection(true).build(),
                Map.of("prompt_embeddings", manager.zeros(new Shape(2, 32))));
        try (PeftModel model = PeftModel.wrap(ToyPromptModel.small(manager, 3))) {
            PeftCompatibilityException e = assertThrows(PeftCompatibilityException.class,
                    () -> model.loadAdapter(tmp, "default", true));
            assertTrue(e.getMessage().contains("adapter_model.safetensors"), e.getMessage());
        }
    }

    private void writeAdapter(PeftConfig config, Map<String, NDArray> tensors) {
        SafetensorsWriter.write(tmp.resolve("adapter_model.safetensors"), tensors);
        io.github.peft4j.core.files.AtomicFiles.write(tmp.resolve("adapter_config.json"),
                AdapterConfigJson.toJson(config).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    @Test
    void aTensorOfTheWrongShapeIsRefusedNamingFileKeyAndShape() {
        writeAdapter(PromptTuningConfig.builder().numVirtualTokens(3).build(),
                Map.of("prompt_embeddings", manager.zeros(new Shape(4, 16))));
        PeftFormatException e = assertThrows(PeftFormatException.class,
                () -> PeftModel.fromPretrained(ToyPromptModel.small(manager, 3), tmp));
        assertEquals("prompt_embeddings", e.key());
        assertTrue(e.getMessage().contains("adapter_model.safetensors") && e.getMessage().contains("(3, 16)"),
                e.getMessage());
    }

    @Test
    void aFileWithoutPromptEmbeddingsIsRefused() {
        writeAdapter(PrefixTuningConfig.builder().numVirtualTokens(3).build(),
                Map.of("base_model.model.layers.0.lora_A.weight", manager.zeros(new Shape(2, 2))));
        PeftFormatException e = assertThrows(PeftFormatException.class,
                () -> PeftModel.fromPretrained(ToyPromptModel.small(manager, 3), tmp));
        assertEquals("prompt_embeddings", e.key());
    }

    @Test
    void aPrefixForAnotherDepthIsRefused() {
        writeAdapter(PrefixTuningConfig.builder().numVirtualTokens(3).numLayers(3).build(),
                Map.of("prompt_embeddings", manager.zeros(new Shape(3, 48))));
        PeftCompatibilityException e = assertThrows(PeftCompatibilityException.class,
                () -> PeftModel.fromPretrained(ToyPromptModel.small(manager, 3), tmp));
        assertTrue(e.getMessage().contains("num_layers 3"), e.getMessage());
    }

    @Test
    void promptTokensOfAnotherWidthAreRefused() {
        for (PeftConfig config : List.of(PromptTuningConfig.builder().numVirtualTokens(3).tokenDim(8).build(),
                PromptEncoderConfig.builder().numVirtualTokens(3).tokenDim(8).build())) {
            PeftCompatibilityException e = assertThrows(PeftCompatibilityException.class,
                    () -> PeftModel.create(ToyPromptModel.small(manager, 3), config));
            assertTrue(e.getMessage().startsWith("token_dim 8 does not fit the model")
                    && e.getMessage().endsWith("hidden size 16"), e.getMessage());
        }
    }

    @Test
    void deletingAnAdapterFreesItsEncoder() {
        try (PeftModel model = PeftModel.wrap(ToyPromptModel.small(manager, 3))) {
            model.addAdapter("a", PromptEncoderConfig.builder().numVirtualTokens(2).build());
            NDArray table = model.adapterParameters("a").get("prompt_encoder.a.embedding.weight").getArray();
            model.deleteAdapter("a");
            assertTrue(table.isReleased());
            model.addAdapter("a", PrefixTuningConfig.builder().numVirtualTokens(2).build());
            model.setActiveAdapters("a");
            assertEquals(new Shape(2, 4, 12), model.forward(new ParameterStore(manager, false),
                    new NDList(manager.create(IDS)), false).head().getShape());
        }
    }
}
