package io.github.peft4j.lora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.ToyModels;
import io.github.peft4j.core.hooks.BaseModelInfo;
import io.github.peft4j.core.testmodels.Conv1D;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An adapter written by peft4j is the file PEFT writes: the Llama-3.2-3B LoRA of PEFT's benchmark
 * (28 layers, hidden 3072, KV dim 1024, r = 32, alpha 64, q_proj + v_proj) has PEFT's measured size,
 * 36,715,216 bytes (reference/peft-format.md §2.9), PEFT's header byte for byte, PEFT's parameter
 * count and PEFT's config keys.
 */
class FileCompatibilityTest {

    private static final int LAYERS = 28;
    private static final int HIDDEN = 3072;
    private static final int KV = 1024;
    private static final int R = 32;

    /** The keys PEFT 0.19.2 wrote for this adapter (§2.3) plus {@code kasa_config}, added after 0.20.0. */
    private static final Set<String> PEFT_LORA_KEYS = new TreeSet<>(List.of("alora_invocation_tokens", "alpha_pattern",
            "arrow_config", "auto_mapping", "base_model_name_or_path", "bias", "corda_config", "ensure_weight_tying",
            "eva_config", "exclude_modules", "fan_in_fan_out", "inference_mode", "init_lora_weights", "layer_replication",
            "layers_pattern", "layers_to_transform", "loftq_config", "lora_alpha", "lora_bias", "lora_dropout",
            "lora_ga_config", "megatron_config", "megatron_core", "modules_to_save", "monteclora_config", "peft_type",
            "peft_version", "qalora_group_size", "r", "rank_pattern", "revision", "target_modules", "target_parameters",
            "task_type", "trainable_token_indices", "use_bdlora", "use_dora", "use_qalora", "use_rslora",
            "velora_config", "kasa_config"));

    @TempDir
    Path tmp;

    private NDManager manager;

    @BeforeEach
    void setUp() {
        manager = NDManager.newBaseManager();
        Engine.getInstance().setRandomSeed(1);
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    /** A Linear whose weight has the right shape but no storage (a broadcast view of one zero). */
    private Linear skeletonLinear(int out, int in) {
        Linear linear = ToyModels.linear(out, false);
        NDArray zero = manager.zeros(new Shape(1, 1));
        linear.getParameters().get("weight").setArray(zero.broadcast(new Shape(out, in)));
        return linear;
    }

    /** model.layers.<i>.self_attn.{q_proj, v_proj} of Llama-3.2-3B, without forward and without weights. */
    private TestBlocks.Node llama32Skeleton() {
        TestBlocks.Node root = new TestBlocks.Node();
        TestBlocks.Node layers = root.add("model", new TestBlocks.Node()).add("layers", new TestBlocks.Node());
        for (int i = 0; i < LAYERS; i++) {
            TestBlocks.Node attn = layers.add(Integer.toString(i), new TestBlocks.Node()).add("self_attn",
                    new TestBlocks.Node());
            attn.add("q_proj", skeletonLinear(HIDDEN, HIDDEN));
            attn.add("v_proj", skeletonLinear(KV, HIDDEN));
        }
        return root;
    }

    /** The header PEFT writes: compact JSON, metadata first, keys sorted, consecutive offsets, space padding. */
    private static String expectedHeader() {
        TreeMap<String, long[]> shapes = new TreeMap<>();
        for (int i = 0; i < LAYERS; i++) {
            String p = "base_model.model.model.layers." + i + ".self_attn.";
            shapes.put(p + "q_proj.lora_A.weight", new long[] {R, HIDDEN});
            shapes.put(p + "q_proj.lora_B.weight", new long[] {HIDDEN, R});
            shapes.put(p + "v_proj.lora_A.weight", new long[] {R, HIDDEN});
            shapes.put(p + "v_proj.lora_B.weight", new long[] {KV, R});
        }
        StringBuilder sb = new StringBuilder("{\"__metadata__\":{\"format\":\"pt\"}");
        long offset = 0;
        for (var e : shapes.entrySet()) {
            long bytes = 4L * e.getValue()[0] * e.getValue()[1];
            sb.append(",\"").append(e.getKey()).append("\":{\"dtype\":\"F32\",\"shape\":[").append(e.getValue()[0])
                    .append(',').append(e.getValue()[1]).append("],\"data_offsets\":[").append(offset).append(',')
                    .append(offset + bytes).append("]}");
            offset += bytes;
        }
        sb.append('}');
        while (sb.length() % 8 != 0) {
            sb.append(' ');
        }
        return sb.toString();
    }

    @Test
    void llama32With3BShapesMatchesPeftsFileByteForByte() throws IOException {
        LoraConfig config = LoraConfig.builder().r(R).loraAlpha(64).targetModules("q_proj", "v_proj")
                .taskType("CAUSAL_LM").baseModelNameOrPath("meta-llama/Llama-3.2-3B").build();
        try (PeftModel model = PeftModel.create(llama32Skeleton(), config)) {
            assertEquals(9_175_040L, model.countParameters().trainable(), "PEFT's measured trainable params");
            assertEquals((long) LAYERS * R * ((HIDDEN + HIDDEN) + (HIDDEN + KV)), model.countParameters().trainable());
            model.save(tmp);
        }
        Path weights = tmp.resolve("adapter_model.safetensors");
        assertEquals(36_715_216L, Files.size(weights), "PEFT's measured file size");
        String expected = expectedHeader();
        try (FileChannel ch = FileChannel.open(weights)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(len, 0);
            long n = len.flip().getLong();
            assertEquals(expected.length(), n);
            ByteBuffer header = ByteBuffer.allocate((int) n);
            ch.read(header, 8);
            assertEquals(expected, new String(header.array(), StandardCharsets.UTF_8));
            assertEquals(8 + n + 4L * 9_175_040L, ch.size());
        }
        JsonNode json = new ObjectMapper().readTree(tmp.resolve("adapter_config.json").toFile());
        Set<String> keys = new TreeSet<>();
        json.fieldNames().forEachRemaining(keys::add);
        assertEquals(PEFT_LORA_KEYS, keys);
        assertEquals(32, json.get("r").intValue());
        assertEquals(64, json.get("lora_alpha").intValue());
        assertTrue(json.get("lora_alpha").isInt(), "an int alpha stays an int, as PEFT writes it");
        assertEquals(Set.of("q_proj", "v_proj"), Set.of(json.get("target_modules").get(0).asText(),
                json.get("target_modules").get(1).asText()));
        assertEquals("LORA", json.get("peft_type").asText());
        assertTrue(json.get("inference_mode").booleanValue());
        assertEquals("CAUSAL_LM", json.get("task_type").asText());
        assertEquals("meta-llama/Llama-3.2-3B", json.get("base_model_name_or_path").asText());
        assertTrue(json.get("init_lora_weights").booleanValue());
        assertTrue(json.get("loftq_config").isObject() && json.get("loftq_config").isEmpty());
        assertEquals("megatron.core", json.get("megatron_core").asText());
        assertEquals("none", json.get("bias").asText());
        assertEquals(16, json.get("qalora_group_size").intValue());
        String text = Files.readString(tmp.resolve("adapter_config.json"));
        assertTrue(text.contains("\n  \"lora_dropout\": 0.0,\n"), "json.dumps(indent=2) layout, Python float repr");
        assertTrue(text.startsWith("{\n  \"alora_invocation_tokens\": null,\n  \"alpha_pattern\": {},\n"), text);
    }

    @Test
    void doraEmbeddingAndLoraBiasTensorsHavePeftsKeysAndRoundTrip() throws IOException {
        NDArray ids = manager.randomInteger(0, 11, new Shape(2, 4), ai.djl.ndarray.types.DataType.INT64);
        double[] dora;
        double[] biased;
        try (PeftModel model = PeftModel.create(ToyModels.causalLm(manager, 11, 8, 2, 3), LoraConfig.builder()
                .r(2).useDora(true).initLoraWeights(false).targetModules("embed_tokens", "q_proj").build())) {
            model.addAdapter("biased", LoraConfig.builder().r(3).loraBias(true).initLoraWeights(false)
                    .targetModules("v_proj").build());
            for (var t : model.tensors("biased")) {
                t.parameter().getArray().addi(0.25f);
            }
            dora = Ref.run(model, ids);
            model.setActiveAdapters("biased");
            biased = Ref.run(model, ids);
            model.save(tmp);
        }
        try (var file = io.github.peft4j.core.safetensors.SafetensorsFile.open(tmp.resolve("adapter_model.safetensors"))) {
            Set<String> names = new TreeSet<>(file.names());
            String q = "base_model.model.model.layers.1.self_attn.q_proj.";
            assertTrue(names.contains(q + "lora_magnitude_vector"), names.toString());
            assertTrue(names.contains(q + "lora_A.weight"));
            assertTrue(names.contains("base_model.model.model.embed_tokens.lora_embedding_A"));
            assertTrue(names.contains("base_model.model.model.embed_tokens.lora_embedding_B"));
            assertTrue(names.contains("base_model.model.model.embed_tokens.lora_magnitude_vector"));
            assertEquals(2 * 3 + 3, names.size());
            assertEquals(List.of(8L), toList(file.info(q + "lora_magnitude_vector").shape()));
            assertEquals(List.of(2L, 11L), toList(file.info("base_model.model.model.embed_tokens.lora_embedding_A").shape()));
            assertEquals(List.of(8L, 2L), toList(file.info("base_model.model.model.embed_tokens.lora_embedding_B").shape()));
        }
        try (var file = io.github.peft4j.core.safetensors.SafetensorsFile.open(
                tmp.resolve("biased/adapter_model.safetensors"))) {
            assertTrue(file.names().contains("base_model.model.model.layers.0.self_attn.v_proj.lora_B.bias"));
        }
        try (PeftModel loaded = PeftModel.fromPretrained(ToyModels.causalLm(manager, 11, 8, 2, 3), tmp)) {
            loaded.loadAdapter(tmp.resolve("biased"), "b2", false);
            assertEquals(0.0, Ref.maxAbsDiff(dora, Ref.run(loaded, ids)), 1e-6);
            loaded.setActiveAdapters("b2");
            assertEquals(0.0, Ref.maxAbsDiff(biased, Ref.run(loaded, ids)), 1e-6);
            assertEquals(0, loaded.countParameters().trainable(), "loaded for inference");
        }
    }

    private static List<Long> toList(long[] a) {
        List<Long> out = new ArrayList<>();
        for (long v : a) {
            out.add(v);
        }
        return out;
    }

    @Test
    void trainedBiasesAreSavedUnderPeftsKeys() throws IOException {
        try (PeftModel model = PeftModel.create(ToyModels.causalLm(manager, 11, 8, 1, 3), LoraConfig.builder()
                .r(2).bias(LoraConfig.Bias.LORA_ONLY).targetModules("q_proj", "k_proj").build())) {
            Set<String> keys = new TreeSet<>(model.savedStateDict("default").keySet());
            assertTrue(keys.contains("base_model.model.model.layers.0.self_attn.q_proj.base_layer.bias"), keys.toString());
            assertEquals(5, keys.size(), "A and B of q and k, and q's bias (k has none): " + keys);
            assertEquals(2 * 2 * 16 + 8, model.countParameters().trainable());
        }
        NDArray ids = manager.randomInteger(0, 11, new Shape(1, 5), ai.djl.ndarray.types.DataType.INT64);
        double[] trained;
        try (PeftModel model = PeftModel.create(ToyModels.causalLm(manager, 11, 8, 1, 3), LoraConfig.builder()
                .r(2).bias(LoraConfig.Bias.ALL).targetModules("q_proj").build())) {
            Set<String> keys = new TreeSet<>(model.savedStateDict("default").keySet());
            assertEquals(Set.of("base_model.model.model.layers.0.self_attn.q_proj.base_layer.bias",
                    "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight",
                    "base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight",
                    "base_model.model.model.layers.0.self_attn.v_proj.bias"), keys);
            // training a bias changes the base model itself, as in PEFT
            model.tensors("default").forEach(t -> t.parameter().getArray().addi(0.5f));
            trained = Ref.run(model, ids);
            model.save(tmp);
            // a second adapter that wraps v_proj moves its bias under base_layer
            model.addAdapter("other", LoraConfig.builder().r(2).targetModules("v_proj").build());
            assertTrue(model.savedStateDict("default").containsKey(
                    "base_model.model.model.layers.0.self_attn.v_proj.base_layer.bias"));
            assertThrows(io.github.peft4j.core.PeftConfigException.class, () -> model.addAdapter("third",
                    LoraConfig.builder().bias(LoraConfig.Bias.ALL).targetModules("k_proj").build()));
        }
        try (PeftModel loaded = PeftModel.fromPretrained(ToyModels.causalLm(manager, 11, 8, 1, 3), tmp)) {
            assertEquals(0.0, Ref.maxAbsDiff(trained, Ref.run(loaded, ids)), 1e-6, "biases are loaded too");
        }
    }

    @Test
    void defaultTargetsComeFromTheModelTypeAndAreWrittenBack() throws IOException {
        try (PeftModel model = PeftModel.create(ToyModels.causalLm(manager, 11, 8, 2, 3), LoraConfig.builder().build())) {
            assertEquals(List.of("q_proj", "v_proj"), ((LoraConfig) model.config("default")).targetModules().names());
            assertEquals(4, model.tunerLayers().size());
            model.save(tmp);
            JsonNode json = new ObjectMapper().readTree(tmp.resolve("adapter_config.json").toFile());
            assertEquals("[\"q_proj\",\"v_proj\"]", json.get("target_modules").toString());
        }
        TestBlocks.Single noInfo = new TestBlocks.Single(ToyModels.linear(3, false));
        noInfo.initialize(manager, ai.djl.ndarray.types.DataType.FLOAT32, new Shape(1, 3));
        try (PeftModel model = PeftModel.wrap(noInfo)) {
            var e = assertThrows(io.github.peft4j.core.PeftConfigException.class,
                    () -> model.addAdapter("x", LoraConfig.builder().build()));
            assertTrue(e.getMessage().contains("target_modules"), e.getMessage());
        }
    }

    /** GPT-2's c_attn is a Conv1D: default targets for "gpt2", and fan_in_fan_out written back as true. */
    @Test
    void gpt2DefaultsAndFanInFanOutAreWrittenBack() throws IOException {
        Gpt2Skeleton root = new Gpt2Skeleton();
        TestBlocks.Node h = root.add("transformer", new TestBlocks.Node()).add("h", new TestBlocks.Node());
        for (int i = 0; i < 2; i++) {
            TestBlocks.Node attn = h.add(Integer.toString(i), new TestBlocks.Node()).add("attn", new TestBlocks.Node());
            attn.add("c_attn", new Conv1D(manager, 8, 24, DataType.FLOAT32, 0.5f));
            attn.add("c_proj", new Conv1D(manager, 8, 8, DataType.FLOAT32, 0.5f));
        }
        try (PeftModel model = PeftModel.create(root, LoraConfig.builder().r(4).build())) {
            model.save(tmp);
        }
        JsonNode json = new ObjectMapper().readTree(tmp.resolve("adapter_config.json").toFile());
        assertEquals("[\"c_attn\"]", json.get("target_modules").toString());
        assertTrue(json.get("fan_in_fan_out").booleanValue());
        try (var file = io.github.peft4j.core.safetensors.SafetensorsFile.open(tmp.resolve("adapter_model.safetensors"))) {
            assertEquals(List.of(4L, 8L), toList(file.info("base_model.model.transformer.h.1.attn.c_attn.lora_A.weight").shape()));
            assertEquals(List.of(24L, 4L), toList(file.info("base_model.model.transformer.h.1.attn.c_attn.lora_B.weight").shape()));
        }
    }

    static final class Gpt2Skeleton extends TestBlocks.Composite implements BaseModelInfo {
        <B extends ai.djl.nn.Block> B add(String name, B child) {
            return addChildBlock(name, child);
        }

        @Override
        public String modelType() {
            return "gpt2";
        }

        @Override
        public Optional<String> outputEmbeddingsPath() {
            return Optional.empty();
        }

        @Override
        protected ai.djl.ndarray.NDList forwardInternal(ai.djl.training.ParameterStore ps, ai.djl.ndarray.NDList in,
                boolean training, ai.djl.util.PairList<String, Object> p) {
            throw new UnsupportedOperationException("skeleton");
        }
    }

    @Test
    void allLinearIsExpandedToModuleNamesWithoutTheHead() {
        try (PeftModel model = PeftModel.create(ToyModels.causalLm(manager, 11, 8, 2, 3),
                LoraConfig.builder().targetModules("all-linear").build())) {
            List<String> names = ((LoraConfig) model.config("default")).targetModules().names();
            assertEquals(12, names.size());
            assertTrue(names.contains("model.layers.1.mlp.down_proj"));
            assertTrue(names.stream().noneMatch(n -> n.contains("lm_head")));
            assertEquals(12, model.tunerLayers().size());
        }
    }

    @Test
    void parameterCountsFollowPeftsFormulas() {
        int vocab = 11;
        int dim = 8;
        int layers = 2;
        try (PeftModel model = PeftModel.create(ToyModels.causalLm(manager, vocab, dim, layers, 3),
                LoraConfig.builder().r(4).useDora(true).targetModules("q_proj", "v_proj").build())) {
            // r·(in + out) + out (magnitude) per adapted linear
            assertEquals((long) layers * 2 * (4 * (dim + dim) + dim), model.countParameters().trainable());
            model.addAdapter("bias", LoraConfig.builder().r(2).loraBias(true).targetModules("up_proj").build());
            model.addAdapter("emb", LoraConfig.builder().r(3).targetModules("embed_tokens").build());
            model.setActiveAdapters("bias", "emb");
            // lora_bias adds out; an embedding r·(num + dim)
            assertEquals((long) layers * (2 * (dim + 2 * dim) + 2 * dim) + 3 * (vocab + dim),
                    model.countParameters().trainable());
        }
    }
}
