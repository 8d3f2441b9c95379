package io.github.peft4j.adapters.bottleneck;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import io.github.peft4j.adapters.ModulesToSaveChecks;
import io.github.peft4j.adapters.ia3.Ia3Config;
import io.github.peft4j.adapters.ia3.Ia3Layer;
import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.PeftFormatException;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.ToyModels;
import io.github.peft4j.core.io.AdapterConfigJson;
import io.github.peft4j.core.module.ModuleTree;
import io.github.peft4j.core.safetensors.SafetensorsFile;
import io.github.peft4j.core.testmodels.TinyBert;
import io.github.peft4j.core.testmodels.TinyFixture;
import io.github.peft4j.core.testmodels.TinyGpt2;
import io.github.peft4j.core.testmodels.TinyLlama;
import io.github.peft4j.core.testmodels.TinyTraining;
import io.github.peft4j.core.testmodels.TunerChecks;
import io.github.peft4j.core.tuner.TunerLayer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Bottleneck adapters on BERT-, GPT-2- and Llama-shaped models through the PeftModel API. */
class BottleneckModelTest {

    private static final int D = 16;

    @TempDir
    Path tmp;

    @RegisterExtension
    final TinyFixture tiny = TinyFixture.seeds(21, 22, 23);

    /** 2·d·m + m + d: down [m, d] + [m], up [d, m] + [d] (reference §6.1). */
    private static long perAdapter(long d, long m) {
        return 2 * d * m + m + d;
    }

    private static Map<String, String> wrapped(PeftModel model) {
        Map<String, String> out = new TreeMap<>();
        for (ModuleTree.Module m : model.modules().modules().values()) {
            if (m.block() instanceof TunerLayer) {
                out.put(m.path(), m.block().getClass().getSimpleName());
            }
        }
        return out;
    }

    @Test
    void houlsbyFollowsAttentionAndFeedForwardOutputsOfEveryBertLayer() {
        try (PeftModel model = PeftModel.create(tiny.bert(), BottleneckConfig.builder().preset("houlsby").reductionFactor(4).build())) {
            assertEquals(Map.of(
                    "bert.encoder.layer.0.attention.output.dense", "BottleneckLayer",
                    "bert.encoder.layer.0.output.dense", "BottleneckLayer",
                    "bert.encoder.layer.1.attention.output.dense", "BottleneckLayer",
                    "bert.encoder.layer.1.output.dense", "BottleneckLayer"), wrapped(model));
            assertEquals(4 * perAdapter(D, D / 4), model.countParameters().trainable());
            assertTrue(model.adapterParameters("default").containsKey(
                    "bert.encoder.layer.1.attention.output.dense.adapter_up.default.weight"));
        }
    }

    @Test
    void pfeifferFollowsTheFeedForwardOutputOnlyAndLeaveOutSkipsLayers() {
        try (PeftModel model = PeftModel.create(tiny.bert(), BottleneckConfig.builder().preset("pfeiffer").reductionFactor(2).build())) {
            assertEquals(Map.of("bert.encoder.layer.0.output.dense", "BottleneckLayer",
                    "bert.encoder.layer.1.output.dense", "BottleneckLayer"), wrapped(model));
            assertEquals(2 * perAdapter(D, D / 2), model.countParameters().trainable());
        }
        try (PeftModel model = PeftModel.create(tiny.bert(), BottleneckConfig.builder().preset("houlsby").leaveOut(0).build())) {
            assertEquals(Map.of("bert.encoder.layer.1.attention.output.dense", "BottleneckLayer",
                    "bert.encoder.layer.1.output.dense", "BottleneckLayer"), wrapped(model));
            // reduction_factor 16 on hidden 16: bottleneck of 1
            assertEquals(2 * perAdapter(D, 1), model.countParameters().trainable());
        }
    }

    @Test
    void parallelReadsTheFeedForwardInputOfEachArchitecture() {
        BottleneckConfig parallel = BottleneckConfig.builder().preset("parallel").build();
        try (PeftModel model = PeftModel.create(tiny.bert(), parallel)) {
            assertEquals(Map.of(
                    "bert.encoder.layer.0.intermediate.dense", "BottleneckInputTap",
                    "bert.encoder.layer.0.output.dense", "BottleneckLayer",
                    "bert.encoder.layer.1.intermediate.dense", "BottleneckInputTap",
                    "bert.encoder.layer.1.output.dense", "BottleneckLayer"), wrapped(model));
            assertEquals(2 * perAdapter(D, D / 2), model.countParameters().trainable());
        }
        try (PeftModel model = PeftModel.create(tiny.gpt2(), parallel)) {
            assertEquals(Map.of(
                    "transformer.h.0.mlp.c_fc", "BottleneckInputTap", "transformer.h.0.mlp.c_proj", "BottleneckLayer",
                    "transformer.h.1.mlp.c_fc", "BottleneckInputTap", "transformer.h.1.mlp.c_proj", "BottleneckLayer"),
                    wrapped(model));
            assertEquals(2 * perAdapter(D, D / 2), model.countParameters().trainable());
        }
        BottleneckConfig both = BottleneckConfig.builder().preset("parallel").mhAdapter(true).build();
        try (PeftModel model = PeftModel.create(tiny.llama(), both)) {
            assertEquals(Map.of(
                    "model.layers.0.mlp.down_proj", "BottleneckLayer", "model.layers.0.mlp.gate_proj", "BottleneckInputTap",
                    "model.layers.0.self_attn.o_proj", "BottleneckLayer", "model.layers.0.self_attn.q_proj", "BottleneckInputTap",
                    "model.layers.1.mlp.down_proj", "BottleneckLayer", "model.layers.1.mlp.gate_proj", "BottleneckInputTap",
                    "model.layers.1.self_attn.o_proj", "BottleneckLayer", "model.layers.1.self_attn.q_proj", "BottleneckInputTap"),
                    wrapped(model));
            assertEquals(4 * perAdapter(D, D / 2), model.countParameters().trainable());
        }
    }

    @Test
    void houlsbyOnGpt2AndLlamaUsesTheirProjectionNames() {
        BottleneckConfig houlsby = BottleneckConfig.builder().preset("houlsby").bottleneckSize(3).build();
        try (PeftModel model = PeftModel.create(tiny.gpt2(), houlsby)) {
            assertEquals(Map.of("transformer.h.0.attn.c_proj", "BottleneckLayer", "transformer.h.0.mlp.c_proj", "BottleneckLayer",
                    "transformer.h.1.attn.c_proj", "BottleneckLayer", "transformer.h.1.mlp.c_proj", "BottleneckLayer"),
                    wrapped(model));
            assertEquals(4 * perAdapter(D, 3), model.countParameters().trainable());
        }
        try (PeftModel model = PeftModel.create(tiny.llama(), houlsby)) {
            assertEquals(Map.of("model.layers.0.mlp.down_proj", "BottleneckLayer", "model.layers.0.self_attn.o_proj", "BottleneckLayer",
                    "model.layers.1.mlp.down_proj", "BottleneckLayer", "model.layers.1.self_attn.o_proj", "BottleneckLayer"),
                    wrapped(model));
        }
    }

    @Test
    void everyPresetEqualsTheBaseModelAtStepZero() {
        List<Function<NDManager, Block>> models = List.of(m -> tiny.bert(), m -> tiny.gpt2(), m -> tiny.llama());
        List<BottleneckConfig> configs = List.of(
                BottleneckConfig.builder().preset("houlsby").reductionFactor(4).build(),
                BottleneckConfig.builder().preset("pfeiffer").reductionFactor(4).build(),
                BottleneckConfig.builder().preset("parallel").mhAdapter(true).build(),
                BottleneckConfig.builder().preset("houlsby").nonLinearity("gelu_new").initWeights("houlsby").build());
        for (Function<NDManager, Block> make : models) {
            float[] base = TunerChecks.run(make.apply(tiny.manager()), tiny.ids());
            for (BottleneckConfig config : configs) {
                try (PeftModel model = PeftModel.create(make.apply(tiny.manager()), config)) {
                    assertArrayEquals(base, TunerChecks.run(model, tiny.ids()), 0f, config.preset() + " on " + model.baseModel().getClass().getSimpleName());
                }
            }
        }
    }

    @Test
    void compositionsOnTheModel() {
        try (PeftModel model = PeftModel.create(tiny.bert(), BottleneckConfig.builder().reductionFactor(4).build(), "a")) {
            model.addAdapter("b", BottleneckConfig.builder().preset("houlsby").reductionFactor(4).build());
            TunerChecks.randomize(model, "a", 0.5f, 1);
            TunerChecks.randomize(model, "b", 0.5f, 2);
            model.setActiveAdapters("a");
            float[] onlyA = TunerChecks.run(model, tiny.ids());
            model.setActiveAdapters("a", "b");
            float[] activeAB = TunerChecks.run(model, tiny.ids());

            Bottlenecks.setComposition(model, Composition.stack("a", "b"));
            assertEquals(List.of("a", "b"), model.activeAdapters());
            assertArrayEquals(activeAB, TunerChecks.run(model, tiny.ids()), 0f, "several active adapters stack");
            Bottlenecks.setComposition(model, Composition.stack("b", "a"));
            assertFalse(maxDiff(activeAB, TunerChecks.run(model, tiny.ids())) < 1e-3, "order matters in a stack");

            Bottlenecks.setComposition(model, Composition.average(List.of("a", "b"), 1, 0));
            assertArrayEquals(onlyA, TunerChecks.run(model, tiny.ids()), 1e-6f, "weight 0 removes b");
            Bottlenecks.setComposition(model, Composition.average(List.of("a", "b"), 1, 1));
            float[] average = TunerChecks.run(model, tiny.ids());
            assertTrue(maxDiff(average, onlyA) > 1e-3 && maxDiff(average, activeAB) > 1e-3);
            assertTrue(Bottlenecks.composition(model).isPresent());

            model.setActiveAdapters("a");
            assertTrue(Bottlenecks.composition(model).isEmpty(), "other active adapters drop the composition");
            assertArrayEquals(onlyA, TunerChecks.run(model, tiny.ids()), 0f);

            PeftConfigException unknown = assertThrows(PeftConfigException.class,
                    () -> Bottlenecks.setComposition(model, Composition.stack("a", "c")));
            assertTrue(unknown.getMessage().contains("'c'"), unknown.getMessage());
        }
    }

    @Test
    void averageOfUntrainedAdaptersIsStillTheBaseModel() {
        float[] base = TunerChecks.run(tiny.bert(), tiny.ids());
        try (PeftModel model = PeftModel.create(tiny.bert(), BottleneckConfig.builder().reductionFactor(4).build(), "a")) {
            model.addAdapter("b", BottleneckConfig.builder().reductionFactor(4).build());
            model.addAdapter("c", BottleneckConfig.builder().reductionFactor(4).build());
            Bottlenecks.setComposition(model, Composition.average("a", "b", "c"));
            assertArrayEquals(base, TunerChecks.run(model, tiny.ids()), 1e-6f);
        }
    }

    @Test
    void compositionNeedsBottleneckAdapters() {
        try (PeftModel model = PeftModel.create(tiny.bert(), BottleneckConfig.builder().build(), "a")) {
            model.addAdapter("scale", Ia3Config.builder().targetModules("query").feedforwardModules().build());
            PeftConfigException e = assertThrows(PeftConfigException.class,
                    () -> Bottlenecks.setComposition(model, Composition.stack("a", "scale")));
            assertEquals("composition names adapter 'scale' of type IA3; Stack and Average combine BOTTLENECK adapters",
                    e.getMessage());
        }
    }

    @Test
    void mixedBatchGivesEachRowItsAdapter() {
        try (PeftModel model = PeftModel.create(tiny.bert(), BottleneckConfig.builder().reductionFactor(4).build(), "seq")) {
            model.addAdapter("par", BottleneckConfig.builder().preset("parallel").build());
            TunerChecks.randomize(model, "seq", 0.5f, 3);
            TunerChecks.randomize(model, "par", 0.5f, 4);
            model.setActiveAdapters("seq");
            float[] seq = TunerChecks.run(model, tiny.ids());
            model.setActiveAdapters("par");
            float[] par = TunerChecks.run(model, tiny.ids());
            float[] base;
            try (PeftModel.DisabledAdapters off = model.disableAdapters()) {
                base = TunerChecks.run(model, tiny.ids());
            }
            List<String> routing = List.of("par", "__base__", "seq", "par");
            float[] mixed = model.forward(new ParameterStore(tiny.manager(), false), new NDList(tiny.ids()), routing)
                    .singletonOrThrow().toFloatArray();
            List<float[]> sources = List.of(par, base, seq, par);
            for (int row = 0; row < 4; row++) {
                for (int c = 0; c < 2; c++) {
                    assertEquals(sources.get(row)[row * 2 + c], mixed[row * 2 + c], 1e-5f, "row " + row);
                }
            }
        }
    }

    @Test
    void disablingAndDeletingRestoreTheBaseModel() {
        float[] base = TunerChecks.run(tiny.bert(), tiny.ids());
        try (PeftModel model = PeftModel.create(tiny.bert(), BottleneckConfig.builder().preset("parallel").build())) {
            TunerChecks.randomize(model, "default", 0.5f, 5);
            assertTrue(maxDiff(base, TunerChecks.run(model, tiny.ids())) > 1e-3);
            try (PeftModel.DisabledAdapters off = model.disableAdapters()) {
                assertArrayEquals(base, TunerChecks.run(model, tiny.ids()), 0f);
            }
            assertThrows(PeftCompatibilityException.class, model::merge);
            model.deleteAdapter("default");
            assertEquals(0, model.countParameters().trainable());
            assertArrayEquals(base, TunerChecks.run(model, tiny.ids()), 0f);
            Block plain = model.unload();
            assertTrue(wrappedPaths(plain).isEmpty());
            assertArrayEquals(base, TunerChecks.run(plain, tiny.ids()), 0f);
        }
    }

    private static List<String> wrappedPaths(Block block) {
        List<String> out = new ArrayList<>();
        ModuleTree.of(block).modules().forEach((p, m) -> {
            if (m.block() instanceof TunerLayer) {
                out.add(p);
            }
        });
        return out;
    }

    @Test
    void saveAndLoadGiveIdenticalOutputs() throws Exception {
        float[] adapted;
        try (PeftModel model = PeftModel.create(tiny.bert(), BottleneckConfig.builder().preset("houlsby").reductionFactor(4).build())) {
            model.addAdapter("par", BottleneckConfig.builder().preset("parallel").build());
            TunerChecks.randomize(model, "default", 0.5f, 6);
            TunerChecks.randomize(model, "par", 0.5f, 7);
            model.setActiveAdapters("default", "par");
            adapted = TunerChecks.run(model, tiny.ids());
            model.save(tmp);
        }
        try (SafetensorsFile file = SafetensorsFile.open(tmp.resolve("adapter_model.safetensors"))) {
            assertEquals(16, file.names().size());
            assertArrayEquals(new long[] {4, 16},
                    file.info("base_model.model.bert.encoder.layer.0.attention.output.dense.adapter_down.weight").shape());
            assertArrayEquals(new long[] {4}, file.info("base_model.model.bert.encoder.layer.1.output.dense.adapter_down.bias").shape());
            assertArrayEquals(new long[] {16, 4}, file.info("base_model.model.bert.encoder.layer.1.output.dense.adapter_up.weight").shape());
            assertArrayEquals(new long[] {16}, file.info("base_model.model.bert.encoder.layer.0.output.dense.adapter_up.bias").shape());
        }
        try (SafetensorsFile file = SafetensorsFile.open(tmp.resolve("par/adapter_model.safetensors"))) {
            assertEquals(8, file.names().size());
            assertArrayEquals(new long[] {8, 16}, file.info("base_model.model.bert.encoder.layer.0.output.dense.adapter_down.weight").shape());
        }
        String json = Files.readString(tmp.resolve("adapter_config.json"));
        assertTrue(json.contains("\"peft_type\": \"BOTTLENECK\""), json);
        assertTrue(json.contains("\"config\": \"houlsby\""), json);
        assertTrue(json.contains("\"non_linearity\": \"swish\""), json);
        assertTrue(json.contains("\"reduction_factor\": 4.0"), json);

        try (PeftModel loaded = PeftModel.fromPretrained(tiny.bert(), tmp)) {
            loaded.loadAdapter(tmp.resolve("par"), "par", false);
            loaded.setActiveAdapters("default", "par");
            TunerChecks.churnDirectMemory(); // the files' mappings may be gone now; the adapters own their values
            assertArrayEquals(adapted, TunerChecks.run(loaded, tiny.ids()), 0f);
            assertEquals(0, loaded.countParameters().trainable(), "loaded for inference");
        }
    }

    @Test
    void modulesToSaveTrainsSavesAndLoadsTheClassifierCopy() {
        BottleneckConfig config = BottleneckConfig.builder().reductionFactor(4).modulesToSave("classifier").build();
        ModulesToSaveChecks.trainsSavesAndLoadsTheClassifierCopy(config, 8, tiny.manager(), tmp);
        String json = AdapterConfigJson.toJson(config);
        assertTrue(json.contains("\"modules_to_save\": [\n    \"classifier\"\n  ],\n"), json);
        assertFalse(AdapterConfigJson.toJson(BottleneckConfig.builder().build()).contains("modules_to_save"),
                "configs without the field keep their bytes");
    }

    @Test
    void presetsFillOnlyWhatTheFileLeavesOut() {
        BottleneckConfig minimal = (BottleneckConfig) AdapterConfigJson.parse(
                "{\"peft_type\": \"BOTTLENECK\", \"config\": \"houlsby\", \"reduction_factor\": 8}");
        assertTrue(minimal.mhAdapter());
        assertTrue(minimal.outputAdapter());
        assertFalse(minimal.isParallel());
        assertEquals("swish", minimal.nonLinearity());
        assertEquals(8.0, minimal.reductionFactor());
        assertEquals(1.0, minimal.scaling());
        assertEquals(List.of(), minimal.leaveOut());
        BottleneckConfig defaults = (BottleneckConfig) AdapterConfigJson.parse("{\"peft_type\": \"BOTTLENECK\"}");
        assertEquals("pfeiffer", defaults.preset());
        assertEquals(16.0, defaults.reductionFactor());
        assertEquals("relu", defaults.nonLinearity());
        BottleneckConfig parallel = BottleneckConfig.builder().preset("PARALLEL").scaling(2).build();
        assertEquals("parallel", parallel.preset());
        assertEquals(2.0, parallel.scaling());
        assertEquals(2.0, parallel.reductionFactor());
        assertEquals("mam_adapter", parallel.initWeights());
        BottleneckConfig again = (BottleneckConfig) AdapterConfigJson.parse(AdapterConfigJson.toJson(parallel));
        assertEquals(AdapterConfigJson.toJson(parallel), AdapterConfigJson.toJson(again));
        assertEquals(8, parallel.bottleneckSizeFor(16));
        assertEquals(1, BottleneckConfig.builder().reductionFactor(64).build().bottleneckSizeFor(16));
    }

    @Test
    void badConfigsAndModelsAreRefusedWithTheReason() {
        assertEquals("config (preset) 'lora' is unknown; use pfeiffer, houlsby or parallel",
                assertThrows(PeftConfigException.class, () -> BottleneckConfig.builder().preset("lora").build()).getMessage());
        assertEquals("non_linearity 'softplus' is not supported; use one of [relu, gelu, gelu_new, swish, silu, tanh]",
                assertThrows(PeftConfigException.class, () -> BottleneckConfig.builder().nonLinearity("softplus").build()).getMessage());
        assertThrows(PeftConfigException.class, () -> BottleneckConfig.builder().mhAdapter(false).outputAdapter(false).build());
        assertThrows(PeftConfigException.class, () -> BottleneckConfig.builder().reductionFactor(0).build());
        assertThrows(PeftFormatException.class,
                () -> AdapterConfigJson.parse("{\"peft_type\": \"BOTTLENECK\", \"init_weights\": \"xavier\"}"));

        BottleneckConfig houlsby = BottleneckConfig.builder().preset("houlsby").build();
        ToyModels.ToyModel toy = ToyModels.llamaLike(tiny.manager(), 8, 2, 1); // has q_proj, v_proj, down_proj; no o_proj
        PeftConfigException none = assertThrows(PeftConfigException.class, () -> PeftModel.create(toy, houlsby));
        assertTrue(none.getMessage().contains("not found in the base model") && none.getMessage().contains("model.layers.0.self_attn.q_proj"),
                none.getMessage());
        assertTrue(wrappedPaths(toy).isEmpty(), "a failed injection leaves the model as it was");

        PeftConfigException allLeftOut = assertThrows(PeftConfigException.class,
                () -> PeftModel.create(tiny.bert(), BottleneckConfig.builder().leaveOut(0, 1).build()));
        assertEquals("leave_out [0, 1] leaves no layer for the bottleneck adapter", allLeftOut.getMessage());
    }

    @Test
    void anotherTunerOnTheSameModuleIsRefused() {
        try (PeftModel model = PeftModel.create(tiny.bert(), Ia3Config.builder().targetModules("output.dense").feedforwardModules().build())) {
            Exception e = assertThrows(PeftCompatibilityException.class,
                    () -> model.addAdapter("bn", BottleneckConfig.builder().build()));
            assertTrue(e.getMessage().contains("already wrapped by Ia3Layer"), e.getMessage());
            assertInstanceOf(Ia3Layer.class,
                    model.modules().get("bert.encoder.layer.0.output.dense"));
        }
    }

    private static double maxDiff(float[] a, float[] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }
}
