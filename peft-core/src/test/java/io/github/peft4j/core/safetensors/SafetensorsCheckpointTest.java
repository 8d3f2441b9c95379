package io.github.peft4j.core.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.PeftFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

class SafetensorsCheckpointTest {

    @TempDir
    Path dir;

    private static List<String> listing(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    /** Tensors of 400, 240, 400, 16, 800 and 8 bytes, in this order. */
    private static Map<String, NDArray> stateDict(NDManager m) {
        Map<String, NDArray> sd = new LinkedHashMap<>();
        sd.put("embed.weight", m.arange(100f).reshape(25, 4));
        sd.put("layers.0.w", m.arange(60f).mul(-1).reshape(6, 10));
        sd.put("layers.1.w", m.arange(0, 50, 1, DataType.INT64).reshape(5, 10));
        sd.put("layers.1.b", m.create(new int[] {1, 2, 3, 4}));
        sd.put("head.weight", m.ones(new Shape(200)));
        sd.put("flag", m.create(new boolean[] {true, false, true, true, false, false, true, false}));
        return sd;
    }

    @Test
    void shardedWriteAndRead() throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> sd = stateDict(m);
            SafetensorsCheckpoint.writeSharded(dir, sd, 700);
            // huggingface_hub's greedy split in map order: embed (400) + layers.0.w (240) fill shard 1;
            // head.weight (800) is over the limit and becomes a shard of its own at once, while
            // layers.1.w + layers.1.b are still open; flag joins them in the last shard.
            assertEquals(List.of(
                    "model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors",
                    "model-00003-of-00003.safetensors", SafetensorsCheckpoint.INDEX_FILE), listing(dir));
            String index = Files.readString(dir.resolve(SafetensorsCheckpoint.INDEX_FILE));
            assertEquals("{\n"
                    + "  \"metadata\": {\n"
                    + "    \"total_size\": 1864\n"
                    + "  },\n"
                    + "  \"weight_map\": {\n"
                    + "    \"embed.weight\": \"model-00001-of-00003.safetensors\",\n"
                    + "    \"layers.0.w\": \"model-00001-of-00003.safetensors\",\n"
                    + "    \"head.weight\": \"model-00002-of-00003.safetensors\",\n"
                    + "    \"layers.1.w\": \"model-00003-of-00003.safetensors\",\n"
                    + "    \"layers.1.b\": \"model-00003-of-00003.safetensors\",\n"
                    + "    \"flag\": \"model-00003-of-00003.safetensors\"\n"
                    + "  }\n"
                    + "}", index);
            try (SafetensorsFile shard = SafetensorsFile.open(dir.resolve("model-00003-of-00003.safetensors"))) {
                assertEquals(Map.of("format", "pt"), shard.metadata());
                assertEquals(List.of("layers.1.w", "layers.1.b", "flag"), shard.names());
            }

            for (Path p : List.of(dir, dir.resolve(SafetensorsCheckpoint.INDEX_FILE))) {
                try (SafetensorsCheckpoint c = SafetensorsCheckpoint.open(p)) {
                    assertTrue(c.isSharded());
                    assertEquals(3, c.files().size());
                    assertEquals(sd.keySet(), new HashSet<>(c.names()));
                    assertEquals(dir.resolve("model-00002-of-00003.safetensors"), c.fileOf("head.weight"));
                    assertEquals(SafetensorsDType.I64, c.info("layers.1.w").dtype());
                    Map<String, NDArray> loaded = c.loadAll(m);
                    for (Map.Entry<String, NDArray> e : sd.entrySet()) {
                        NDArray got = loaded.get(e.getKey());
                        assertEquals(e.getValue().getShape(), got.getShape(), e.getKey());
                        assertEquals(e.getValue().getDataType(), got.getDataType(), e.getKey());
                        assertEquals(e.getValue().toByteBuffer(), got.toByteBuffer(), e.getKey());
                    }
                    assertEquals(-59f, c.load("layers.0.w", m).getFloat(5, 9));
                    PeftFormatException e = assertThrows(PeftFormatException.class, () -> c.info("nope"));
                    assertEquals("nope", e.key());
                }
            }
        }
    }

    @Test
    void splitFollowsHuggingfaceHub() {
        List<SafetensorsWriter.Item> items = List.of(item("a", 6), item("b", 6), item("c", 2),
                item("d", 6), item("e", 2), item("f", 2));
        // The example of huggingface_hub's docstring: [6] [6+2] [6+2+2] with a limit of 10.
        List<List<String>> shards = SafetensorsCheckpoint.split(items, 10).stream()
                .map(s -> s.stream().map(i -> i.name).collect(Collectors.toList()))
                .collect(Collectors.toList());
        assertEquals(List.of(List.of("a"), List.of("b", "c"), List.of("d", "e", "f")), shards);
        // The oversized tensor is appended at once, before the still-open shard holding "a".
        assertEquals(List.of(List.of("big"), List.of("a"), List.of("b")),
                SafetensorsCheckpoint.split(List.of(item("a", 3), item("big", 20), item("b", 8)), 10)
                        .stream().map(s -> s.stream().map(i -> i.name).collect(Collectors.toList()))
                        .collect(Collectors.toList()));
    }

    private static SafetensorsWriter.Item item(String name, long bytes) {
        return new SafetensorsWriter.Item(name, SafetensorsDType.U8, new long[] {bytes}, bytes, null);
    }

    @Test
    void missingShardNamesIndexAndTensor() throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            SafetensorsCheckpoint.writeSharded(dir, stateDict(m), 700);
        }
        Files.delete(dir.resolve("model-00002-of-00003.safetensors"));
        PeftFormatException e = assertThrows(PeftFormatException.class, () -> SafetensorsCheckpoint.open(dir));
        Path index = dir.resolve(SafetensorsCheckpoint.INDEX_FILE);
        assertEquals(index, e.file());
        assertEquals("head.weight", e.key());
        assertTrue(e.getMessage().contains(index.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("'head.weight'"), e.getMessage());
        assertTrue(e.getMessage().contains("model-00002-of-00003.safetensors"), e.getMessage());
    }

    @Test
    void tensorInTheWrongShardIsReported() throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            SafetensorsCheckpoint.writeSharded(dir, stateDict(m), 700);
        }
        Path index = dir.resolve(SafetensorsCheckpoint.INDEX_FILE);
        String json = Files.readString(index).replace(
                "\"layers.1.b\": \"model-00003-of-00003.safetensors\"",
                "\"layers.1.b\": \"model-00001-of-00003.safetensors\"");
        Files.writeString(index, json);
        PeftFormatException e = assertThrows(PeftFormatException.class, () -> SafetensorsCheckpoint.open(dir));
        assertEquals(index, e.file());
        assertEquals("layers.1.b", e.key());
        assertTrue(e.getMessage().contains("no such tensor"), e.getMessage());
    }

    @Test
    void malformedIndexAndEscapingShard() throws Exception {
        Path index = dir.resolve(SafetensorsCheckpoint.INDEX_FILE);
        Files.writeString(index, "{\"metadata\":{}}");
        assertEquals("weight_map",
                assertThrows(PeftFormatException.class, () -> SafetensorsCheckpoint.open(dir)).key());
        Files.writeString(index, "{\"weight_map\":{\"a\":\"../x.safetensors\"}}");
        PeftFormatException e = assertThrows(PeftFormatException.class, () -> SafetensorsCheckpoint.open(dir));
        assertEquals("a", e.key());
        Files.writeString(index, "{\"weight_map\":{\"a\":1}}");
        assertEquals("a", assertThrows(PeftFormatException.class, () -> SafetensorsCheckpoint.open(dir)).key());
        Files.delete(index);
        Files.writeString(dir.resolve("pytorch_model.bin"), "pickle");
        e = assertThrows(PeftFormatException.class, () -> SafetensorsCheckpoint.open(dir));
        assertTrue(e.getMessage().contains("pytorch_model.bin"), e.getMessage());
    }

    @Test
    void everythingThatFitsIsOneFileAndStaleShardsGo() throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> sd = stateDict(m);
            SafetensorsCheckpoint.writeSharded(dir, sd, 700);
            SafetensorsCheckpoint.writeSharded(dir, sd, SafetensorsCheckpoint.DEFAULT_MAX_SHARD_BYTES);
            assertEquals(List.of(SafetensorsCheckpoint.SINGLE_FILE), listing(dir));
            try (SafetensorsCheckpoint c = SafetensorsCheckpoint.open(dir)) {
                assertFalse(c.isSharded());
                assertEquals(6, c.names().size());
                assertArrayEquals(new int[] {1, 2, 3, 4}, c.load("layers.1.b", m).toIntArray());
            }
            // And back: a sharded save removes the single file, so open() cannot pick stale data.
            SafetensorsCheckpoint.writeSharded(dir, sd, 1000);
            assertFalse(Files.exists(dir.resolve(SafetensorsCheckpoint.SINGLE_FILE)));
            try (SafetensorsCheckpoint c = SafetensorsCheckpoint.open(dir)) {
                assertTrue(c.isSharded());
                assertEquals(3, c.files().size());
            }
            assertThrows(PeftConfigException.class, () -> SafetensorsCheckpoint.writeSharded(dir, sd, 0));
        }
    }

    @Test
    void fixtureOpensAsCheckpoint() {
        Path model = TestFiles.fixture("bert_tiniest").getParent();
        try (SafetensorsCheckpoint c = SafetensorsCheckpoint.open(model);
                NDManager m = NDManager.newBaseManager()) {
            assertFalse(c.isSharded());
            assertEquals(26, c.names().size());
            assertEquals(new Shape(30522, 4), c.load("bert.embeddings.word_embeddings.weight", m).getShape());
        }
    }

    @Test
    void rawShardedRewriteOfAnyDtype() throws Exception {
        Map<String, SafetensorsWriter.Entry> entries = new LinkedHashMap<>();
        entries.put("bf", new SafetensorsWriter.Entry(SafetensorsDType.BF16, new long[] {4},
                SafetensorsRoundTripTest.shorts(new short[] {0x3f80, 0x4000, 0x4040, 0x4080})));
        entries.put("u32", new SafetensorsWriter.Entry(SafetensorsDType.U32, new long[] {2},
                ByteBuffer.wrap(new byte[] {1, 0, 0, 0, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff})));
        SafetensorsCheckpoint.writeShardedEntries(dir, entries, 8);
        assertTrue(Files.exists(dir.resolve("model-00002-of-00002.safetensors")));
        try (SafetensorsCheckpoint c = SafetensorsCheckpoint.open(dir); NDManager m = NDManager.newBaseManager()) {
            assertArrayEquals(new float[] {1, 2, 3, 4}, c.load("bf", m).toFloatArray());
            assertEquals(SafetensorsDType.U32, c.info("u32").dtype());
        }
    }

    @Test
    void streamedTensorsAreMadeOneAtATimeAndMatchTheRawWriter() throws Exception {
        short[][] values = {{0x3f80, 0x4000}, {0x4040, 0x4080, 0x40a0}, {(short) 0xbf80}};
        List<String> made = new java.util.ArrayList<>();
        List<SafetensorsCheckpoint.StreamedTensor> streamed = new java.util.ArrayList<>();
        Map<String, SafetensorsWriter.Entry> entries = new LinkedHashMap<>();
        for (int i = 0; i < values.length; i++) {
            String name = "t" + i;
            short[] v = values[i];
            streamed.add(new SafetensorsCheckpoint.StreamedTensor(name, SafetensorsDType.BF16, new long[] {v.length},
                    () -> {
                        made.add(name);
                        return SafetensorsRoundTripTest.shorts(v);
                    }));
            entries.put(name, new SafetensorsWriter.Entry(SafetensorsDType.BF16, new long[] {v.length},
                    SafetensorsRoundTripTest.shorts(v)));
        }
        assertEquals(List.of(), made, "nothing is made before the write");
        Path raw = dir.resolve("raw");
        SafetensorsCheckpoint.writeShardedEntries(raw, entries, 6);
        Path lazy = dir.resolve("lazy");
        SafetensorsCheckpoint.writeShardedStreamed(lazy, streamed, 6);
        assertEquals(List.of("t0", "t1", "t2"), made, "each tensor made once, in shard order");
        // 4 + 6 bytes exceed 6: t0 | t1 | t2, the same split and bytes as the raw writer
        assertEquals(listing(raw), listing(lazy));
        for (String f : listing(raw)) {
            assertArrayEquals(Files.readAllBytes(raw.resolve(f)), Files.readAllBytes(lazy.resolve(f)), f);
        }
        assertEquals(4, new SafetensorsCheckpoint.StreamedTensor("x", SafetensorsDType.BF16, new long[] {2},
                () -> null).byteSize());
    }

    @Test
    void atomicWriteReplacesTargetAndLeavesNoTempFiles() throws Exception {
        Path target = dir.resolve("adapter_model.safetensors");
        try (NDManager m = NDManager.newBaseManager()) {
            SafetensorsWriter.write(target, Map.of("a", m.create(new float[] {1, 2})));
            SafetensorsWriter.write(target, Map.of("b", m.create(new float[] {3, 4, 5})));
            assertEquals(List.of("adapter_model.safetensors"), listing(dir));
            try (SafetensorsFile f = SafetensorsFile.open(target)) {
                assertEquals(List.of("b"), f.names());
                assertArrayEquals(new float[] {3, 4, 5}, f.load("b", m).toFloatArray());
            }
            byte[] before = Files.readAllBytes(target);

            // A failure half-way through keeps the old file and removes the temporary one.
            List<SafetensorsWriter.Item> failing = List.of(
                    new SafetensorsWriter.Item("ok", SafetensorsDType.U8, new long[] {2}, 2,
                            () -> ByteBuffer.wrap(new byte[] {1, 2})),
                    new SafetensorsWriter.Item("boom", SafetensorsDType.U8, new long[] {2}, 2, () -> {
                        throw new IllegalStateException("device lost");
                    }));
            assertThrows(IllegalStateException.class,
                    () -> SafetensorsWriter.writeItems(target, failing, SafetensorsWriter.PT_METADATA));
            assertArrayEquals(before, Files.readAllBytes(target));
            assertEquals(List.of("adapter_model.safetensors"), listing(dir));

            // A data size that disagrees with the shape is refused before anything lands.
            List<SafetensorsWriter.Item> wrongSize = List.of(new SafetensorsWriter.Item("x",
                    SafetensorsDType.U8, new long[] {2}, 2, () -> ByteBuffer.wrap(new byte[3])));
            PeftFormatException e = assertThrows(PeftFormatException.class,
                    () -> SafetensorsWriter.writeItems(target, wrongSize, null));
            assertEquals("x", e.key());
            assertArrayEquals(before, Files.readAllBytes(target));
            assertEquals(List.of("adapter_model.safetensors"), listing(dir));
        }
        assertThrows(IllegalArgumentException.class, () -> new SafetensorsWriter.Entry(
                SafetensorsDType.F32, new long[] {2}, ByteBuffer.allocate(7)));
        String header = new String(SafetensorsWriter.header(Map.of(), null), StandardCharsets.UTF_8);
        assertEquals("{}      ", header);
    }
}
