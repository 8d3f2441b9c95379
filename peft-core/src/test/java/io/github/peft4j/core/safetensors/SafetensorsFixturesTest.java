package io.github.peft4j.core.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Files written by Python (transformers + safetensors) are read and re-written byte for byte. */
class SafetensorsFixturesTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"tiny_gpt2", "fake_gpt2", "bert_tiniest"})
    void rewriteIsByteIdentical(String model) throws Exception {
        Path original = TestFiles.fixture(model);
        Path copy = dir.resolve(model + ".safetensors");
        try (SafetensorsFile f = SafetensorsFile.open(original)) {
            assertEquals(Map.of("format", "pt"), f.metadata());
            Map<String, SafetensorsWriter.Entry> entries = new LinkedHashMap<>();
            for (String name : f.names()) {
                TensorInfo info = f.info(name);
                entries.put(name, new SafetensorsWriter.Entry(info.dtype(), info.shape(), f.rawBytes(name)));
            }
            SafetensorsWriter.writeEntries(copy, entries, f.metadata());
        }
        assertEquals(-1L, Files.mismatch(original, copy), "first differing byte");
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny_gpt2", "fake_gpt2", "bert_tiniest"})
    void everyTensorLoadsWithItsShapeAndValues(String model) {
        try (SafetensorsFile f = SafetensorsFile.open(TestFiles.fixture(model));
                NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> all = f.loadAll(m);
            assertEquals(f.names().size(), all.size());
            for (String name : f.names()) {
                NDArray a = all.get(name);
                assertEquals(DataType.FLOAT32, a.getDataType(), name);
                assertArrayEquals(f.info(name).shape(), a.getShape().getShape(), name);
                FloatBuffer raw = f.rawBytes(name).asFloatBuffer();
                float[] expected = new float[raw.remaining()];
                raw.get(expected);
                assertArrayEquals(expected, a.toFloatArray(), name);
            }
        }
    }

    @Test
    void knownValues() {
        try (NDManager m = NDManager.newBaseManager()) {
            try (SafetensorsFile f = SafetensorsFile.open(TestFiles.fixture("tiny_gpt2"))) {
                assertEquals(16, f.names().size());
                assertEquals("h.0.attn.c_attn.bias", f.names().get(0));
                NDArray w = f.load("h.0.attn.c_attn.weight", m);
                assertEquals(new Shape(2, 6), w.getShape());
                assertEquals(0.004909059498459101f, w.getFloat(0, 0));
                assertEquals(0.010371244512498379f, w.getFloat(1, 5));
                NDArray wte = f.load("wte.weight", m);
                assertEquals(new Shape(21, 2), wte.getShape());
                assertEquals(0.03195413947105408f, wte.getFloat(0, 0));
                assertArrayEquals(new float[] {1f, 1f}, f.load("h.0.ln_1.weight", m).toFloatArray());
                assertEquals(new TensorInfo("wpe.weight", SafetensorsDType.F32, new long[] {1024, 2},
                        312, 8504), f.info("wpe.weight"));
            }
            try (SafetensorsFile f = SafetensorsFile.open(TestFiles.fixture("fake_gpt2"))) {
                NDArray wte = f.load("transformer.wte.weight", m);
                assertEquals(new Shape(50257, 2), wte.getShape());
                assertEquals(0.027433224022388458f, wte.getFloat(0, 0));
                assertEquals(-0.007940802723169327f, wte.getFloat(50256, 1));
            }
            try (SafetensorsFile f = SafetensorsFile.open(TestFiles.fixture("bert_tiniest"))) {
                assertEquals(26, f.names().size());
                NDArray emb = f.load("bert.embeddings.word_embeddings.weight", m);
                assertEquals(new Shape(30522, 4), emb.getShape());
                assertEquals(0.018204331398010254f, emb.getFloat(30521, 3));
                NDArray q = f.load("bert.encoder.layer.0.attention.self.query.weight", m);
                assertEquals(-0.01145912054926157f, q.getFloat(0, 0));
                assertEquals(new Shape(30522), f.load("cls.predictions.bias", m).getShape());
            }
        }
    }

    @Test
    void promptEmbeddingsHeaderIsExact() throws Exception {
        Path file = dir.resolve("adapter_model.safetensors");
        try (NDManager m = NDManager.newBaseManager()) {
            SafetensorsWriter.write(file, Map.of("prompt_embeddings",
                    m.zeros(new Shape(200, 3072), DataType.FLOAT32)));
        }
        byte[] bytes = Files.readAllBytes(file);
        assertEquals(2_457_728, bytes.length);
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(120, b.getLong(0));
        String json = "{\"__metadata__\":{\"format\":\"pt\"},\"prompt_embeddings\":{\"dtype\":\"F32\","
                + "\"shape\":[200,3072],\"data_offsets\":[0,2457600]}}";
        String padded = json + " ".repeat(120 - json.length());
        assertEquals(padded, new String(bytes, 8, 120, StandardCharsets.UTF_8));
        assertArrayEquals(padded.getBytes(StandardCharsets.UTF_8), SafetensorsWriter.header(
                Map.of("prompt_embeddings", new SafetensorsWriter.Entry(SafetensorsDType.F32,
                        new long[] {200, 3072}, ByteBuffer.allocate(2_457_600))),
                SafetensorsWriter.PT_METADATA));
        for (int i = 128; i < bytes.length; i++) {
            if (bytes[i] != 0) {
                throw new AssertionError("non-zero data byte at " + i);
            }
        }
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertEquals(128, f.dataOffset());
            assertTrue(f.contains("prompt_embeddings"));
        }
    }
}
