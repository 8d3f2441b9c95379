package io.github.peft4j.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import io.github.peft4j.core.PeftFormatException;
import io.github.peft4j.core.module.ModuleTree;
import io.github.peft4j.core.safetensors.SafetensorsDType;
import io.github.peft4j.core.safetensors.SafetensorsWriter;
import io.github.peft4j.models.config.BertConfig;
import io.github.peft4j.models.config.Gpt2Config;
import io.github.peft4j.models.config.LlamaConfig;
import io.github.peft4j.models.config.ModelConfig;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** Bad checkpoints fail with errors naming the file and the tensor; other dtypes load as F32. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CheckpointErrorsTest {

    @TempDir
    Path dir;

    private NDManager manager;

    @BeforeAll
    void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    void tearDown() {
        manager.close();
    }

    private static void writeConfig(Path dir, String json) throws IOException {
        Files.writeString(dir.resolve("config.json"), json, StandardCharsets.UTF_8);
    }

    /** The tensors of a fresh tiny GPT-2, keyed as in the checkpoint. */
    private Map<String, NDArray> tensorsOf(PretrainedModel model) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : ModuleTree.of(model.block()).parameters().entrySet()) {
            out.put(e.getKey(), e.getValue().getArray());
        }
        return out;
    }

    @Test
    void unknownModelTypeNamesTheFileAndKey() throws IOException {
        writeConfig(dir, "{\"model_type\": \"t5\", \"d_model\": 8}");
        PeftFormatException e = assertThrows(PeftFormatException.class, () -> HfModels.load(dir, manager));
        assertEquals(dir.resolve("config.json"), e.file());
        assertEquals("model_type", e.key());
        assertTrue(e.getMessage().contains("'t5'") && e.getMessage().contains("llama"), e.getMessage());
    }

    @Test
    void missingConfigIsReported() {
        PeftFormatException e = assertThrows(PeftFormatException.class, () -> HfModels.load(dir, manager));
        assertEquals(dir.resolve("config.json"), e.file());
    }

    @Test
    void fieldOfTheWrongTypeNamesTheKey() throws IOException {
        writeConfig(dir, "{\"model_type\": \"gpt2\", \"n_embd\": \"big\"}");
        PeftFormatException e = assertThrows(PeftFormatException.class, () -> HfModels.load(dir, manager));
        assertEquals("n_embd", e.key());
        writeConfig(dir, "{\"model_type\": \"llama\", \"hidden_size\": 64, \"num_attention_heads\": 4,"
                + " \"num_key_value_heads\": 3}");
        e = assertThrows(PeftFormatException.class, () -> HfModels.load(dir, manager));
        assertEquals("num_key_value_heads", e.key());
    }

    @Test
    void missingTensorNamesTheFileTheTensorAndItsShape() throws IOException {
        Gpt2Config config = Gpt2Config.tiny().build();
        try (PretrainedModel model = ModelFactory.create(config, manager, 1)) {
            Map<String, NDArray> tensors = tensorsOf(model);
            tensors.remove("transformer.h.1.ln_2.bias");
            writeConfig(dir, config.toJsonString());
            SafetensorsWriter.write(dir.resolve("model.safetensors"), tensors);
        }
        PeftFormatException e = assertThrows(PeftFormatException.class, () -> HfModels.load(dir, manager));
        assertEquals(dir.resolve("model.safetensors"), e.file());
        assertEquals("transformer.h.1.ln_2.bias", e.key());
        assertTrue(e.getMessage().contains("(32)"), e.getMessage());
    }

    @Test
    void wrongShapeIsAnErrorWithBothShapes() throws IOException {
        Gpt2Config config = Gpt2Config.tiny().build();
        try (PretrainedModel model = ModelFactory.create(config, manager, 1)) {
            Map<String, NDArray> tensors = tensorsOf(model);
            tensors.put("transformer.h.0.attn.c_attn.weight", manager.zeros(new ai.djl.ndarray.types.Shape(96, 32)));
            writeConfig(dir, config.toJsonString());
            SafetensorsWriter.write(dir.resolve("model.safetensors"), tensors);
        }
        PeftFormatException e = assertThrows(PeftFormatException.class, () -> HfModels.load(dir, manager));
        assertEquals("transformer.h.0.attn.c_attn.weight", e.key());
        assertTrue(e.getMessage().contains("(32, 96)") && e.getMessage().contains("(96, 32)"), e.getMessage());
    }

    @Test
    void extraTensorsAreReportedAndKnownBuffersSkipped() throws IOException {
        Gpt2Config config = Gpt2Config.tiny().build();
        try (PretrainedModel model = ModelFactory.create(config, manager, 1)) {
            Map<String, NDArray> tensors = tensorsOf(model);
            tensors.put("transformer.h.0.attn.bias", manager.ones(new ai.djl.ndarray.types.Shape(1, 1, 4, 4)));
            tensors.put("score.weight", manager.ones(new ai.djl.ndarray.types.Shape(2, 32)));
            writeConfig(dir, config.toJsonString());
            SafetensorsWriter.write(dir.resolve("model.safetensors"), tensors);
        }
        try (PretrainedModel loaded = HfModels.load(dir, manager)) {
            assertEquals(List.of("score.weight"), loaded.loadReport().unexpected());
            assertEquals(List.of("transformer.h.0.attn.bias"), loaded.loadReport().ignoredBuffers());
        }
    }

    @Test
    void bareLlamaAndBertCheckpointsGetTheirPrefix() throws IOException {
        for (ModelConfig config : List.of(LlamaConfig.tiny().build(), LlamaConfig.tiny().tieWordEmbeddings(true).build(),
                BertConfig.tiny().build())) {
            String prefix = config instanceof BertConfig ? "bert." : "model.";
            Path bare = dir.resolve(config.modelType() + config.tieWordEmbeddings());
            Files.createDirectories(bare);
            Map<String, float[]> saved = new LinkedHashMap<>();
            try (PretrainedModel model = ModelFactory.create(config, manager, 4)) {
                TestSupport.randomize(model.block(), 5);
                Map<String, NDArray> tensors = new LinkedHashMap<>();
                for (Map.Entry<String, NDArray> e : tensorsOf(model).entrySet()) {
                    if (e.getKey().startsWith(prefix)) {
                        tensors.put(e.getKey().substring(prefix.length()), e.getValue());
                        saved.put(e.getKey(), e.getValue().toFloatArray());
                    }
                }
                writeConfig(bare, config.toJsonString());
                SafetensorsWriter.write(bare.resolve("model.safetensors"), tensors);
            }
            try (PretrainedModel loaded = HfModels.load(bare, manager)) {
                assertTrue(loaded.loadReport().bareCheckpoint());
                List<String> fresh = config instanceof BertConfig ? List.of("classifier.weight", "classifier.bias")
                        : config.tieWordEmbeddings() ? List.of() : List.of("lm_head.weight");
                assertEquals(fresh, loaded.loadReport().newlyInitialized());
                Map<String, Parameter> params = ModuleTree.of(loaded.block()).parameters();
                for (Map.Entry<String, float[]> e : saved.entrySet()) {
                    assertArrayEquals(e.getValue(), params.get(e.getKey()).getArray().toFloatArray(), e.getKey());
                }
            }
        }
    }

    @Test
    void bf16AndF16WeightsLoadAsFloat32() throws IOException {
        LlamaConfig config = LlamaConfig.tiny().numLayers(1).build();
        Map<String, SafetensorsWriter.Entry> entries = new LinkedHashMap<>();
        Map<String, float[]> expected = new LinkedHashMap<>();
        Random random = new Random(3);
        try (PretrainedModel model = ModelFactory.create(config, manager, 1)) {
            boolean bf16 = true;
            for (Map.Entry<String, Parameter> e : ModuleTree.of(model.block()).parameters().entrySet()) {
                long[] shape = e.getValue().getArray().getShape().getShape();
                int n = Math.toIntExact(e.getValue().getArray().size());
                float[] values = new float[n];
                ByteBuffer bytes = ByteBuffer.allocate(2 * n).order(ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < n; i++) {
                    // k / 64 with |k| <= 128 needs 8 significant bits: exact in BF16 and in F16
                    values[i] = (random.nextInt(257) - 128) / 64f;
                    bytes.putShort(bf16 ? bf16Bits(values[i]) : f16Bits(values[i]));
                }
                bytes.flip();
                entries.put(e.getKey(), new SafetensorsWriter.Entry(bf16 ? SafetensorsDType.BF16 : SafetensorsDType.F16,
                        shape, bytes));
                expected.put(e.getKey(), values);
                bf16 = !bf16;
            }
        }
        writeConfig(dir, config.toJsonString());
        SafetensorsWriter.writeEntries(dir.resolve("model.safetensors"), entries, SafetensorsWriter.PT_METADATA);
        try (PretrainedModel loaded = HfModels.load(dir, manager)) {
            Map<String, Parameter> params = ModuleTree.of(loaded.block()).parameters();
            assertEquals(expected.keySet(), params.keySet());
            for (Map.Entry<String, float[]> e : expected.entrySet()) {
                assertEquals(ai.djl.ndarray.types.DataType.FLOAT32, params.get(e.getKey()).getArray().getDataType());
                assertArrayEquals(e.getValue(), params.get(e.getKey()).getArray().toFloatArray(), e.getKey());
            }
        }
    }

    private static short bf16Bits(float v) {
        return (short) (Float.floatToIntBits(v) >>> 16);
    }

    /** Half-precision bits of a float that is exactly representable (normal range or zero). */
    private static short f16Bits(float v) {
        int bits = Float.floatToIntBits(v);
        int sign = (bits >>> 16) & 0x8000;
        if ((bits & 0x7fffffff) == 0) {
            return (short) sign;
        }
        int exponent = ((bits >>> 23) & 0xff) - 127 + 15;
        int mantissa = (bits >>> 13) & 0x3ff;
        return (short) (sign | (exponent << 10) | mantissa);
    }

}
