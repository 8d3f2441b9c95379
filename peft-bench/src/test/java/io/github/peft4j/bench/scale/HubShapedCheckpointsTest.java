package io.github.peft4j.bench.scale;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.module.ModuleTree;
import io.github.peft4j.core.safetensors.SafetensorsDType;
import io.github.peft4j.core.safetensors.SafetensorsFile;
import io.github.peft4j.models.HfModels;
import io.github.peft4j.models.PretrainedModel;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The random-weight checkpoints are shaped, sharded and valued as the Hub's and load with no key left over. */
class HubShapedCheckpointsTest {

    private static final long SHARD = 8_000;

    @TempDir
    Path tmp;

    @Test
    void fullSizeConfigsHaveThePublishedParameterCounts() {
        // computed from shapes, nothing allocated; tied heads counted once
        assertEquals(134_515_008L, count(PublishedModel.SMOLLM2_135M.config()));
        assertEquals(494_032_768L, count(PublishedModel.QWEN2_5_0_5B.config()));
        assertEquals(1_235_814_400L, count(PublishedModel.LLAMA_3_2_1B.config()));
        for (PublishedModel m : PublishedModel.values()) {
            assertEquals(m.publishedParameters(), count(m.config()), m.hubName());
        }
        // Qwen2: q/k/v biases of 896, 128, 128 in each of 24 layers; Llama 3.2: no lm_head saved
        List<DecoderTensors.Tensor> qwen = DecoderTensors.of(PublishedModel.QWEN2_5_0_5B.config());
        assertEquals(72, qwen.stream().filter(t -> t.name().endsWith("_proj.bias")).count());
        assertFalse(DecoderTensors.of(PublishedModel.LLAMA_3_2_1B.config()).stream()
                .anyMatch(t -> t.name().equals("lm_head.weight")));
    }

    @ParameterizedTest
    @EnumSource(PublishedModel.class)
    void tinyVariantKeepsTheStructureOfThePublishedConfig(PublishedModel model) {
        ObjectNode full = model.config();
        ObjectNode tiny = model.tinyConfig();
        assertEquals(fieldNames(full), fieldNames(tiny));
        assertEquals(full.get("num_attention_heads").asInt() / full.get("num_key_value_heads").asInt(),
                tiny.get("num_attention_heads").asInt() / tiny.get("num_key_value_heads").asInt(), "GQA group size");
        for (String same : List.of("model_type", "tie_word_embeddings", "rope_theta", "rope_scaling", "rms_norm_eps",
                "torch_dtype")) {
            assertEquals(full.get(same), tiny.get(same), same);
        }
    }

    @ParameterizedTest
    @EnumSource(PublishedModel.class)
    void shardedIndexCoversEveryTensorOnceWithItsBytes(PublishedModel model) throws Exception {
        Path dir = tmp.resolve(model.id());
        List<DecoderTensors.Tensor> tensors = DecoderTensors.of(model.tinyConfig());
        long bytes = HubShapedCheckpoints.write(model.tinyConfig(), dir, SHARD, 7);
        long expectedBytes = tensors.stream().mapToLong(t -> 2 * t.elements()).sum();
        assertEquals(expectedBytes, bytes);

        JsonNode index = new ObjectMapper().readTree(dir.resolve("model.safetensors.index.json").toFile());
        assertEquals(expectedBytes, index.get("metadata").get("total_size").asLong());
        Map<String, String> weightMap = new HashMap<>();
        index.get("weight_map").properties().forEach(e -> weightMap.put(e.getKey(), e.getValue().asText()));
        Set<String> names = tensors.stream().map(DecoderTensors.Tensor::name).collect(Collectors.toSet());
        assertEquals(names, weightMap.keySet());

        Set<String> shards = new TreeSet<>(weightMap.values());
        assertTrue(shards.size() > 2, "a small limit splits into several shards: " + shards);
        int n = shards.size();
        Set<String> expectedShards = new TreeSet<>();
        for (int i = 1; i <= n; i++) {
            expectedShards.add(String.format("model-%05d-of-%05d.safetensors", i, n));
        }
        assertEquals(expectedShards, shards);
        // each tensor in exactly the shard the index names, stored as BF16 of its shape
        Map<String, DecoderTensors.Tensor> byName = tensors.stream()
                .collect(Collectors.toMap(DecoderTensors.Tensor::name, t -> t));
        int seen = 0;
        for (String shard : shards) {
            try (SafetensorsFile f = SafetensorsFile.open(dir.resolve(shard))) {
                for (String name : f.names()) {
                    assertEquals(shard, weightMap.get(name), name);
                    assertEquals(SafetensorsDType.BF16, f.info(name).dtype());
                    assertArrayEquals(byName.get(name).shape(), f.info(name).shape(), name);
                    seen++;
                }
                assertEquals(Map.of("format", "pt"), f.metadata());
            }
        }
        assertEquals(tensors.size(), seen, "no tensor stored twice");
        try (Stream<Path> files = Files.list(tmp)) {
            assertEquals(List.of(model.id()), files.map(p -> p.getFileName().toString()).toList(),
                    "no temporary directory left");
        }
    }

    @ParameterizedTest
    @EnumSource(PublishedModel.class)
    void loadsWithNoMissingOrUnexpectedKeysAndExactBf16Values(PublishedModel model) throws Exception {
        Path dir = tmp.resolve(model.id());
        ObjectNode config = model.tinyConfig();
        HubShapedCheckpoints.write(config, dir, SHARD, 3);
        try (NDManager manager = NDManager.newBaseManager();
                PretrainedModel loaded = HfModels.load(dir, manager)) {
            assertEquals(List.of(), loaded.loadReport().newlyInitialized());
            assertEquals(List.of(), loaded.loadReport().unexpected());
            Map<String, ai.djl.nn.Parameter> params = ModuleTree.of(loaded.block()).parameters();
            for (DecoderTensors.Tensor t : DecoderTensors.of(config)) {
                NDArray array = params.get(t.name()).getArray();
                assertEquals(new Shape(t.shape()), array.getShape(), t.name());
                assertArrayEquals(widened(HubShapedCheckpoints.bf16Values(t, 3)), array.toFloatArray(), t.name());
            }
            int vocab = config.get("vocab_size").asInt();
            long[] ids = {1, 5, 9, 2, vocab - 1, 0};
            NDArray logits = loaded.block().forward(new ParameterStore(manager, false),
                    new NDList(manager.create(ids, new Shape(1, ids.length))), false).singletonOrThrow();
            assertEquals(new Shape(1, ids.length, vocab), logits.getShape());
            for (float v : logits.toFloatArray()) {
                assertTrue(Float.isFinite(v));
            }
        }
    }

    @Test
    void valuesAreSeededPerTensorNormsOneAndWeightsSmall() {
        DecoderTensors.Tensor w = new DecoderTensors.Tensor("model.layers.0.mlp.up_proj.weight", new long[] {64, 64},
                false);
        float[] a = widened(HubShapedCheckpoints.bf16Values(w, 1));
        assertArrayEquals(a, widened(HubShapedCheckpoints.bf16Values(w, 1)), "same seed, same values");
        assertFalse(java.util.Arrays.equals(a, widened(HubShapedCheckpoints.bf16Values(w, 2))));
        double sq = 0;
        for (float v : a) {
            sq += v * v;
        }
        assertEquals(HubShapedCheckpoints.STD, Math.sqrt(sq / a.length), 0.002);
        float[] norm = widened(HubShapedCheckpoints.bf16Values(
                new DecoderTensors.Tensor("model.norm.weight", new long[] {5}, true), 1));
        assertArrayEquals(new float[] {1, 1, 1, 1, 1}, norm);
    }

    @Test
    void bf16RoundsToNearestEvenAsTorch() {
        assertEquals((short) 0x3f80, HubShapedCheckpoints.toBf16(1f));
        assertEquals((short) 0x3f80, HubShapedCheckpoints.toBf16(1f + 0x1p-8f), "halfway, to even");
        assertEquals((short) 0x3f82, HubShapedCheckpoints.toBf16(1f + 3 * 0x1p-8f), "halfway, to even (up)");
        assertEquals((short) 0x3f81, HubShapedCheckpoints.toBf16(1f + 0x1p-8f + 0x1p-20f), "above halfway");
        assertEquals((short) 0xc000, HubShapedCheckpoints.toBf16(-2f));
    }

    @Test
    void shardSizesParseAsTransformers() {
        assertEquals(5_000_000_000L, HubShapedCheckpoints.parseShardSize("5GB"));
        assertEquals(2L << 30, HubShapedCheckpoints.parseShardSize("2GiB"));
        assertEquals(500_000_000L, HubShapedCheckpoints.parseShardSize("500MB"));
        assertEquals(20_000L, HubShapedCheckpoints.parseShardSize("20kb"));
        assertEquals(1234L, HubShapedCheckpoints.parseShardSize("1234"));
        assertThrows(PeftConfigException.class, () -> HubShapedCheckpoints.parseShardSize("five GB"));
        assertThrows(PeftConfigException.class, () -> PublishedModel.of("gpt-5"));
    }

    @Test
    void rewritingReplacesTheDirectoryAtomically() throws Exception {
        Path dir = tmp.resolve("ckpt");
        ObjectNode config = PublishedModel.SMOLLM2_135M.tinyConfig();
        HubShapedCheckpoints.write(config, dir, SHARD, 1);
        HubShapedCheckpoints.write(config, dir, Long.MAX_VALUE, 1);
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of("config.json", "model.safetensors"),
                    files.map(p -> p.getFileName().toString()).sorted().toList(), "old shards gone");
        }
    }

    private static long count(ObjectNode config) {
        return DecoderTensors.parameterCount(DecoderTensors.of(config));
    }

    private static Set<String> fieldNames(ObjectNode node) {
        Set<String> names = new TreeSet<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static float[] widened(ByteBuffer bf16) {
        float[] out = new float[bf16.remaining() / 2];
        for (int i = 0; i < out.length; i++) {
            out[i] = Float.intBitsToFloat((bf16.getShort(2 * i) & 0xffff) << 16);
        }
        return out;
    }
}
