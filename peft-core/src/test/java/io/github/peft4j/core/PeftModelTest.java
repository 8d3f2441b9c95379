package io.github.peft4j.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.github.peft4j.core.io.AdapterDirectory;
import io.github.peft4j.core.module.ModuleTree;
import io.github.peft4j.core.safetensors.SafetensorsFile;
import io.github.peft4j.core.testtuner.DeltaConfig;
import io.github.peft4j.core.tuner.TunerLayer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PeftModelTest {

    private static final int DIM = 8;
    private static final int LAYERS = 2;

    @TempDir
    Path tmp;

    private NDManager manager;
    private NDArray input;
    private NDArray target;

    @BeforeEach
    void setUp() {
        manager = NDManager.newBaseManager();
        Engine.getInstance().setRandomSeed(7);
        input = manager.randomNormal(new Shape(2, 3, DIM));
        target = manager.randomNormal(new Shape(2, 3, DIM));
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    private ToyModels.ToyModel base() {
        return ToyModels.llamaLike(manager, DIM, LAYERS, 11);
    }

    private static DeltaConfig qv() {
        return DeltaConfig.builder().targetModules("q_proj", "v_proj").r(2).scale(0.5).build();
    }

    private float[] forward(PeftModel model) {
        return model.forward(new ParameterStore(manager, false), new NDList(input), false)
                .singletonOrThrow().toFloatArray();
    }

    private static Map<String, float[]> snapshot(Map<String, Parameter> params) {
        Map<String, float[]> out = new LinkedHashMap<>();
        params.forEach((k, p) -> out.put(k, p.getArray().toFloatArray()));
        return out;
    }

    private void trainSteps(PeftModel model, int steps, float lr) {
        ParameterStore ps = new ParameterStore(manager, false);
        for (int s = 0; s < steps; s++) {
            try (NDManager step = manager.newSubManager()) {
                NDArray x = input.duplicate();
                x.attach(step);
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray out = model.forward(ps, new NDList(x), true).singletonOrThrow();
                    gc.backward(out.sub(target).square().mean());
                }
                for (Parameter p : model.trainableParameters()) {
                    NDArray g = p.getArray().getGradient();
                    try (NDArray update = g.mul(lr)) {
                        p.getArray().subi(update);
                    }
                    g.muli(0); // gradients accumulate across collectors until zeroed
                    g.close();
                }
            }
        }
    }

    @Test
    void countsFollowPeftsFormula() {
        try (PeftModel model = PeftModel.create(base(), qv())) {
            // base: per layer q,v = 8x8+8 each, down_proj 8x8; lm_head 8x8
            long all = LAYERS * (72 + 72 + 64) + 64;
            // r * (in + out) per targeted linear
            long trainable = LAYERS * 2 * 2 * (DIM + DIM);
            ParameterCount count = model.countParameters();
            assertEquals(trainable, count.trainable());
            assertEquals(all + trainable, count.all());
            assertEquals("trainable params: 128 || all params: 608 || trainable%: 21.0526", count.toString());
        }
    }

    @Test
    void baseWeightsStayBitIdenticalAndGetNoGradients() {
        try (PeftModel model = PeftModel.create(base(), qv())) {
            Map<String, Parameter> baseParams = new LinkedHashMap<>(ModuleTree.of(model.baseModel()).parameters());
            baseParams.keySet().removeIf(k -> k.contains(".delta_"));
            assertEquals(LAYERS * 5 + 1, baseParams.size());
            Map<String, float[]> before = snapshot(baseParams);
            Map<String, float[]> adapterBefore = snapshot(model.adapterParameters("default"));
            double lossBefore = loss(model);

            trainSteps(model, 5, 0.05f);

            for (Map.Entry<String, Parameter> e : baseParams.entrySet()) {
                assertFalse(e.getValue().requiresGradient(), e.getKey());
                assertFalse(e.getValue().getArray().hasGradient(), e.getKey() + " has a gradient");
                assertArrayEquals(before.get(e.getKey()), e.getValue().getArray().toFloatArray(), 0f, e.getKey());
            }
            Map<String, float[]> adapterAfter = snapshot(model.adapterParameters("default"));
            for (String key : adapterBefore.keySet()) {
                assertFalse(java.util.Arrays.equals(adapterBefore.get(key), adapterAfter.get(key)), key + " did not train");
            }
            assertTrue(loss(model) < lossBefore, "loss did not fall");
        }
    }

    private double loss(PeftModel model) {
        NDArray out = model.forward(new ParameterStore(manager, false), new NDList(input), false).singletonOrThrow();
        return out.sub(target).square().mean().getFloat();
    }

    @Test
    void disabledAdaptersGiveTheBaseOutput() {
        float[] baseOut;
        try (PeftModel plain = PeftModel.wrap(base())) {
            baseOut = forward(plain);
        }
        try (PeftModel model = PeftModel.create(base(), qv())) {
            float[] adapted = forward(model);
            assertFalse(java.util.Arrays.equals(baseOut, adapted));
            try (PeftModel.DisabledAdapters off = model.disableAdapters()) {
                assertTrue(model.adaptersDisabled());
                assertArrayEquals(baseOut, forward(model), 0f);
            }
            assertArrayEquals(adapted, forward(model), 0f);
        }
    }

    @Test
    void mergeMatchesUnmergedAndUnmergeRestoresTheBase() {
        try (PeftModel model = PeftModel.create(base(), qv())) {
            Map<String, float[]> baseBefore = snapshot(ModuleTree.of(model.baseModel()).parameters());
            float[] unmerged = forward(model);
            model.merge();
            assertEquals(List.of("default"), model.tunerLayers().get(0).mergedAdapters());
            assertArrayEquals(unmerged, forward(model), 1e-5f);
            model.unmerge();
            Map<String, float[]> baseAfter = snapshot(ModuleTree.of(model.baseModel()).parameters());
            for (String k : baseBefore.keySet()) {
                assertArrayEquals(baseBefore.get(k), baseAfter.get(k), 1e-6f, k);
            }
            assertArrayEquals(unmerged, forward(model), 1e-5f);
        }
    }

    @Test
    void mergeAndUnloadReturnsAPlainModelWithTheSameOutput() {
        PeftModel model = PeftModel.create(base(), qv());
        float[] adapted = forward(model);
        ai.djl.nn.Block merged = model.mergeAndUnload();
        assertTrue(model.tunerLayers().isEmpty());
        assertEquals(ModuleTree.of(base()).paths(), ModuleTree.of(merged).paths());
        float[] out = merged.forward(new ParameterStore(manager, false), new NDList(input), false)
                .singletonOrThrow().toFloatArray();
        assertArrayEquals(adapted, out, 1e-5f);
        model.close();
    }

    @Test
    void severalActiveAdaptersAreSummed() {
        try (PeftModel model = PeftModel.create(base(), DeltaConfig.builder().targetModules("down_proj").build())) {
            model.addAdapter("other", DeltaConfig.builder().targetModules("down_proj").scale(2).build());
            // down_proj is the last linear of each layer's MLP: check the layer-level sum on one layer
            TunerLayer layer = (TunerLayer) model.modules().get("model.layers.0.mlp.down_proj");
            NDArray x = manager.randomNormal(new Shape(3, DIM));
            ParameterStore ps = new ParameterStore(manager, false);
            float[] base = layer.baseLayer().forward(ps, new NDList(x), false).singletonOrThrow().toFloatArray();
            layer.setActiveAdapters(List.of("default"));
            float[] a = layer.forward(ps, new NDList(x), false).singletonOrThrow().toFloatArray();
            layer.setActiveAdapters(List.of("other"));
            float[] b = layer.forward(ps, new NDList(x), false).singletonOrThrow().toFloatArray();
            model.setActiveAdapters("default", "other");
            assertEquals(List.of("default", "other"), layer.activeAdapters());
            float[] both = layer.forward(ps, new NDList(x), false).singletonOrThrow().toFloatArray();
            for (int i = 0; i < base.length; i++) {
                assertEquals(a[i] + b[i] - base[i], both[i], 1e-5f);
            }
            // both adapters are now trainable, none of the base
            assertEquals(2 * LAYERS * 2 * (2 * DIM + 2 * DIM) / 2, model.countParameters().trainable());
        }
    }

    @Test
    void onlyActiveAdaptersAreTrainable() {
        try (PeftModel model = PeftModel.create(base(), qv())) {
            model.addAdapter("second", qv());
            assertEquals(List.of("default"), model.activeAdapters());
            model.adapterParameters("second").values().forEach(p -> assertFalse(p.requiresGradient()));
            model.adapterParameters("default").values().forEach(p -> assertTrue(p.requiresGradient()));
            model.setActiveAdapters("second");
            model.adapterParameters("second").values().forEach(p -> assertTrue(p.requiresGradient()));
            model.adapterParameters("default").values().forEach(p -> assertFalse(p.requiresGradient()));
        }
    }

    @Test
    void savedAdapterHasPeftKeysLayoutAndConfig() throws IOException {
        try (PeftModel model = PeftModel.create(base(), qv())) {
            model.save(tmp);
            try (Stream<Path> files = Files.list(tmp)) {
                assertEquals(List.of("adapter_config.json", "adapter_model.safetensors"),
                        files.map(p -> p.getFileName().toString()).sorted().toList());
            }
            try (SafetensorsFile file = SafetensorsFile.open(tmp.resolve("adapter_model.safetensors"))) {
                List<String> expected = new ArrayList<>();
                for (int i = 0; i < LAYERS; i++) {
                    for (String proj : List.of("q_proj", "v_proj")) {
                        for (String t : List.of("delta_A", "delta_B")) {
                            expected.add("base_model.model.model.layers." + i + ".self_attn." + proj + "." + t + ".weight");
                        }
                    }
                }
                assertEquals(expected.stream().sorted().toList(), file.names().stream().sorted().toList());
                assertEquals(Map.of("format", "pt"), file.metadata());
                assertArrayEquals(new long[] {2, DIM},
                        file.info("base_model.model.model.layers.1.self_attn.v_proj.delta_A.weight").shape());
                assertArrayEquals(new long[] {DIM, 2},
                        file.info("base_model.model.model.layers.1.self_attn.v_proj.delta_B.weight").shape());
                float[] saved = file.load("base_model.model.model.layers.0.self_attn.q_proj.delta_A.weight", manager)
                        .toFloatArray();
                assertArrayEquals(model.adapterParameters("default")
                        .get("model.layers.0.self_attn.q_proj.delta_A.default.weight").getArray().toFloatArray(), saved, 0f);
            }
            String json = Files.readString(tmp.resolve("adapter_config.json"), StandardCharsets.UTF_8);
            assertEquals("{\n"
                    + "  \"auto_mapping\": null,\n"
                    + "  \"base_model_name_or_path\": \"toy/llama-like\",\n"
                    + "  \"inference_mode\": true,\n"
                    + "  \"peft_type\": \"TEST_DELTA\",\n"
                    + "  \"r\": 2,\n"
                    + "  \"revision\": null,\n"
                    + "  \"scale\": 0.5,\n"
                    + "  \"target_modules\": [\n"
                    + "    \"q_proj\",\n"
                    + "    \"v_proj\"\n"
                    + "  ],\n"
                    + "  \"task_type\": null\n"
                    + "}", json);
        }
    }

    @Test
    void saveThenLoadGivesEqualOutputs() {
        float[] trained;
        try (PeftModel model = PeftModel.create(base(), qv())) {
            trainSteps(model, 2, 0.05f);
            trained = forward(model);
            model.save(tmp);
        }
        try (PeftModel loaded = PeftModel.fromPretrained(base(), tmp)) {
            assertEquals(List.of("default"), loaded.activeAdapters());
            assertTrue(loaded.config("default").inferenceMode());
            assertEquals(0, loaded.countParameters().trainable(), "loaded for inference: frozen");
            assertArrayEquals(trained, forward(loaded), 0f);
        }
    }

    @Test
    void secondAdapterLivesInItsSubFolderAndLoadsUnderAnyName() throws IOException {
        float[] secondOut;
        try (PeftModel model = PeftModel.create(base(), qv())) {
            model.addAdapter("tenant-b", DeltaConfig.builder().targetModules("down_proj").r(3).build());
            model.setActiveAdapters("tenant-b");
            secondOut = forward(model);
            model.save(tmp);
        }
        assertTrue(Files.isRegularFile(tmp.resolve("adapter_config.json")));
        assertTrue(Files.isRegularFile(tmp.resolve("tenant-b/adapter_config.json")));
        assertTrue(Files.isRegularFile(tmp.resolve("tenant-b/adapter_model.safetensors")));
        try (SafetensorsFile file = SafetensorsFile.open(tmp.resolve("tenant-b/adapter_model.safetensors"))) {
            assertEquals(LAYERS * 2, file.names().size());
            assertNotNull(file.info("base_model.model.model.layers.0.mlp.down_proj.delta_A.weight"));
        }
        try (PeftModel loaded = PeftModel.wrap(base())) {
            loaded.loadAdapter(tmp.resolve("tenant-b"), "customer42", true);
            loaded.setActiveAdapters("customer42");
            assertArrayEquals(secondOut, forward(loaded), 0f);
            assertEquals(LAYERS * 3 * 2 * DIM, loaded.countParameters().trainable());
            assertTrue(loaded.adapterParameters("customer42")
                    .containsKey("model.layers.0.mlp.down_proj.delta_A.customer42.weight"));
        }
    }

    @Test
    void deleteRemovesTensorsAndRestoresBaseOutput() {
        float[] baseOut;
        try (PeftModel plain = PeftModel.wrap(base())) {
            baseOut = forward(plain);
        }
        try (PeftModel model = PeftModel.create(base(), qv())) {
            model.deleteAdapter("default");
            assertTrue(model.adapterNames().isEmpty());
            assertEquals(new ParameterCount(0, LAYERS * (72 + 72 + 64) + 64), model.countParameters());
            assertArrayEquals(baseOut, forward(model), 0f);
            assertThrows(PeftConfigException.class, () -> model.setActiveAdapters("default"));
        }
    }

    @Test
    void badAdapterNamesAndDuplicatesAreRefused() {
        try (PeftModel model = PeftModel.create(base(), qv())) {
            assertThrows(PeftConfigException.class, () -> model.addAdapter("default", qv()));
            assertThrows(PeftConfigException.class, () -> model.addAdapter("a.b", qv()));
            assertThrows(PeftConfigException.class, () -> model.addAdapter("__base__", qv()));
        }
    }

    @Test
    void pickleWeightsAreRefusedWithAConversionHint() throws IOException {
        Files.writeString(tmp.resolve("adapter_config.json"), "{\"peft_type\": \"TEST_DELTA\", \"target_modules\": [\"q_proj\"]}");
        Files.write(tmp.resolve("adapter_model.bin"), new byte[] {(byte) 0x80, 2});
        try (PeftModel model = PeftModel.wrap(base())) {
            PeftFormatException e = assertThrows(PeftFormatException.class, () -> model.loadAdapter(tmp, "x", false));
            assertEquals(tmp.resolve("adapter_model.bin"), e.file());
            assertTrue(e.getMessage().contains("safetensors"), e.getMessage());
            assertTrue(model.adapterNames().isEmpty());
        }
    }

    @Test
    void unknownConfigKeysAreToleratedAndMismatchedShapesNamed() throws IOException {
        try (PeftModel model = PeftModel.create(base(), qv())) {
            model.save(tmp);
        }
        Path config = tmp.resolve("adapter_config.json");
        String json = Files.readString(config).replace("\"r\": 2,", "\"r\": 2,\n  \"some_future_field\": {\"x\": 1},");
        Files.writeString(config, json);
        try (PeftModel model = PeftModel.fromPretrained(base(), tmp)) {
            assertEquals(List.of("default"), model.activeAdapters());
        }
        Files.writeString(config, json.replace("\"r\": 2,", "\"r\": 3,"));
        try (PeftModel model = PeftModel.wrap(base())) {
            PeftFormatException e = assertThrows(PeftFormatException.class, () -> model.loadAdapter(tmp, "default", false));
            assertEquals(tmp.resolve("adapter_model.safetensors"), e.file());
            assertTrue(e.getMessage().contains("expected shape (3, 8) but found (2, 8)"), e.getMessage());
            assertTrue(model.adapterNames().isEmpty(), "a failed load leaves no half adapter");
        }
    }

    @Test
    void unknownPeftTypeNamesTheKnownOnes() throws IOException {
        Files.writeString(tmp.resolve("adapter_config.json"), "{\"peft_type\": \"LOHA\"}");
        Files.write(tmp.resolve("adapter_model.safetensors"), new byte[0]);
        try (PeftModel model = PeftModel.wrap(base())) {
            PeftCompatibilityException e = assertThrows(PeftCompatibilityException.class,
                    () -> model.loadAdapter(tmp, "x", false));
            assertTrue(e.getMessage().contains("LOHA") && e.getMessage().contains("TEST_DELTA"), e.getMessage());
        }
    }

    @Test
    void registeringAParameterAgainMovesItAndBaseParametersSurviveUnload() {
        PeftModel model = PeftModel.create(base(), qv());
        Parameter bias = ModuleTree.of(model.baseModel()).parameters().get("model.layers.0.self_attn.q_proj.base_layer.bias");
        model.injectionContext().registerAdapterTensor("default", "old.bias", "base_model.model.old.bias", bias);
        model.injectionContext().registerAdapterTensor("default", "model.layers.0.self_attn.q_proj.base_layer.bias",
                "base_model.model.model.layers.0.self_attn.q_proj.base_layer.bias", bias);
        List<String> keys = model.tensors("default").stream().map(AdapterTensor::key).toList();
        assertFalse(keys.contains("old.bias"));
        assertTrue(keys.contains("model.layers.0.self_attn.q_proj.base_layer.bias"));
        model.setActiveAdapters("default");
        assertTrue(bias.requiresGradient(), "a registered tensor of the active adapter trains");
        ai.djl.nn.Block unloaded = model.unload();
        assertTrue(ModuleTree.of(unloaded).parameters().containsKey("model.layers.0.self_attn.q_proj.bias"));
        model.close();

        try (PeftModel other = PeftModel.create(base(), qv())) {
            Parameter outside = Parameter.builder().setName("prompt").setType(Parameter.Type.WEIGHT)
                    .optArray(other.manager().zeros(new Shape(2, DIM))).build();
            other.injectionContext().registerAdapterTensor("default", "prompt", "prompt_embeddings", outside);
            assertThrows(PeftCompatibilityException.class, other::unload);
        }
    }

    @Test
    void mixedBatchRefusesAdaptersThatDoNotExist() {
        try (PeftModel model = PeftModel.create(base(), qv())) {
            PeftConfigException e = assertThrows(PeftConfigException.class, () -> model.forward(
                    new ParameterStore(manager, false), new NDList(input), List.of("default", "missing")));
            assertTrue(e.getMessage().contains("missing"), e.getMessage());
            float[] routed = model.forward(new ParameterStore(manager, false), new NDList(input),
                    List.of("default", io.github.peft4j.core.hooks.AdapterRouting.BASE)).singletonOrThrow().toFloatArray();
            assertEquals(input.size(), routed.length);
        }
    }
}
