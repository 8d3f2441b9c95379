package io.github.peft4j.bitfit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.module.ModuleTree;
import io.github.peft4j.core.safetensors.SafetensorsFile;
import io.github.peft4j.core.testmodels.Module;
import io.github.peft4j.core.testmodels.TinyBert;
import io.github.peft4j.core.testmodels.TinyFixture;
import io.github.peft4j.core.testmodels.TinyGpt2;
import io.github.peft4j.core.testmodels.TinyLlama;
import io.github.peft4j.core.testmodels.TinyTraining;
import io.github.peft4j.core.testmodels.TunerChecks;
import io.github.peft4j.core.tuner.Tensors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

class BitFitTest {

    @TempDir
    Path tmp;

    @RegisterExtension
    final TinyFixture tiny = TinyFixture.seeds(41, 42, 43);

    /** Sizes of the base model's parameters named {@code bias}, by path. */
    private static Map<String, Long> biases(Block base) {
        Map<String, Long> out = new TreeMap<>();
        ModuleTree.of(base).parameters().forEach((k, p) -> {
            if (k.endsWith(".bias")) {
                out.put(k, p.getArray().size());
            }
        });
        return out;
    }

    @Test
    void allBiasesAreTrainedAndCounted() {
        TinyBert base = tiny.bert();
        Map<String, Long> biases = biases(base);
        // 2 layers × (query, key, value, attention.output.dense, attention LN, intermediate, output.dense, output LN)
        // + embeddings LN + pooler + classifier
        assertEquals(2 * 8 + 3, biases.size());
        long sum = biases.values().stream().mapToLong(Long::longValue).sum();
        assertEquals(2 * (16 * 6 + 32 + 16) + 16 + 16 + 2, sum);
        try (PeftModel model = PeftModel.create(base, BitFitConfig.builder().build())) {
            assertEquals(sum, model.countParameters().trainable());
            List<String> saved = new ArrayList<>(model.savedStateDict("default").keySet());
            List<String> expected = biases.keySet().stream().map(k -> "base_model.model." + k).sorted().toList();
            assertEquals(expected, saved.stream().sorted().toList(), "saved under the base model's own bias names");
        }
    }

    @Test
    void paperSubsetTrainsQueryAndIntermediateBiases() {
        try (PeftModel model = PeftModel.create(tiny.bert(), BitFitConfig.builder().targetModules(BitFitConfig.PAPER_SUBSET).build())) {
            assertEquals(List.of(
                    "bert.encoder.layer.0.attention.self.query.bias.default", "bert.encoder.layer.0.intermediate.dense.bias.default",
                    "bert.encoder.layer.1.attention.self.query.bias.default", "bert.encoder.layer.1.intermediate.dense.bias.default"),
                    new ArrayList<>(model.adapterParameters("default").keySet()));
            assertEquals(2 * (16 + 32), model.countParameters().trainable());
        }
    }

    @Test
    void biaslessModelsNeedAddedBiases() {
        PeftConfigException none = assertThrows(PeftConfigException.class, () -> PeftModel.create(tiny.llama(), BitFitConfig.builder().build()));
        assertTrue(none.getMessage().startsWith("BitFit found no bias to train") && none.getMessage().contains("add_missing_biases"),
                none.getMessage());
        PeftConfigException listed = assertThrows(PeftConfigException.class,
                () -> PeftModel.create(tiny.llama(), BitFitConfig.builder().targetModules("q_proj").build()));
        assertEquals("BitFit targets linear layers without a bias: [model.layers.0.self_attn.q_proj, model.layers.1.self_attn.q_proj];"
                + " set add_missing_biases to give them a zero-initialised one", listed.getMessage());

        try (PeftModel model = PeftModel.create(tiny.llama(), BitFitConfig.builder().addMissingBiases(true).build())) {
            // every linear layer but lm_head: q, k, v, o (16) + gate, up (24) + down (16), two layers
            assertEquals(2 * (4 * 16 + 2 * 24 + 16), model.countParameters().trainable());
            assertTrue(model.adapterParameters("default").keySet().stream().noneMatch(k -> k.startsWith("lm_head")));
        }
        try (PeftModel model = PeftModel.create(tiny.llama(),
                BitFitConfig.builder().targetModules(BitFitConfig.PAPER_SUBSET).addMissingBiases(true).build())) {
            assertEquals(2 * (16 + 24), model.countParameters().trainable());
        }
    }

    @Test
    void everyModelEqualsItsBaseAtStepZero() {
        List<Supplier<Block>> models = List.of(tiny::bert, tiny::gpt2, tiny::llama);
        for (Supplier<Block> make : models) {
            float[] base = TunerChecks.run(make.get(), tiny.ids());
            try (PeftModel model = PeftModel.create(make.get(), BitFitConfig.builder().addMissingBiases(true).build())) {
                assertArrayEquals(base, TunerChecks.run(model, tiny.ids()), 0f, model.baseModel().getClass().getSimpleName());
            }
        }
    }

    @Test
    void theAdaptersCopyReplacesTheBaseBias() {
        try (PeftModel model = PeftModel.create(tiny.bert(), BitFitConfig.builder().build())) {
            float[] before = TunerChecks.run(model, tiny.ids());
            Parameter head = model.adapterParameters("default").get("classifier.bias.default");
            Tensors.assign(head.getArray(), head.getArray().add(tiny.manager().create(new float[] {1f, -2f})));
            float[] after = TunerChecks.run(model, tiny.ids());
            for (int row = 0; row < 4; row++) {
                assertEquals(before[row * 2] + 1f, after[row * 2], 1e-5f);
                assertEquals(before[row * 2 + 1] - 2f, after[row * 2 + 1], 1e-5f);
            }
            Parameter baseBias = ModuleTree.of(model.baseModel()).parameters().get("classifier.base_layer.bias");
            assertTrue(baseBias.getArray().sub(head.getArray()).abs().max().getFloat() > 1f, "the base bias is untouched");
        }
    }

    @Test
    void anAddedBiasIsAddedToTheOutput() {
        Engine.getInstance().setRandomSeed(2);
        Linear linear = Module.linear(tiny.manager(), 4, 3, false);
        BitFitLayer layer = new BitFitLayer(linear);
        assertTrue(layer.addsBias());
        layer.addAdapter("a", tiny.manager());
        Parameter bias = layer.adapterParameters("a").get("bias.a");
        assertEquals(0f, bias.getArray().abs().sum().getFloat());
        Tensors.assign(bias.getArray(), tiny.manager().create(new float[] {0.5f, -1f, 2f}));
        layer.setActiveAdapters(List.of("a"));
        NDArray x = tiny.manager().randomNormal(new Shape(2, 4));
        ParameterStore ps = new ParameterStore(tiny.manager(), false);
        float[] base = linear.forward(ps, new NDList(x), false).singletonOrThrow().toFloatArray();
        float[] out = layer.forward(ps, new NDList(x), false).singletonOrThrow().toFloatArray();
        float[] b = {0.5f, -1f, 2f};
        for (int i = 0; i < out.length; i++) {
            assertEquals(base[i] + b[i % 3], out[i], 1e-6f);
        }
        assertEquals(false, layer.canMerge());
    }

    @Test
    void disablingDeletingMergingAndUnloading() {
        float[] base = TunerChecks.run(tiny.bert(), tiny.ids());
        try (PeftModel model = PeftModel.create(tiny.bert(), BitFitConfig.builder().build())) {
            TunerChecks.randomize(model, "default", 0.5f, 3);
            float[] adapted = TunerChecks.run(model, tiny.ids());
            assertTrue(maxDiff(base, adapted) > 1e-3);
            try (PeftModel.DisabledAdapters off = model.disableAdapters()) {
                assertArrayEquals(base, TunerChecks.run(model, tiny.ids()), 0f);
            }
            Map<String, float[]> adapterValues = TunerChecks.snapshot(model.adapterParameters("default"));
            model.merge();
            assertArrayEquals(adapted, TunerChecks.run(model, tiny.ids()), 0f, "merging swaps the trained biases in");
            assertArrayEquals(adapterValues.get("classifier.bias.default"),
                    ModuleTree.of(model.baseModel()).parameters().get("classifier.base_layer.bias").getArray().toFloatArray(), 0f);
            model.unmerge();
            assertArrayEquals(adapted, TunerChecks.run(model, tiny.ids()), 0f);
            try (PeftModel.DisabledAdapters off = model.disableAdapters()) {
                assertArrayEquals(base, TunerChecks.run(model, tiny.ids()), 0f, "unmerge is exact");
            }
            model.merge();
            Block merged = model.mergeAndUnload();
            assertArrayEquals(adapted, TunerChecks.run(merged, tiny.ids()), 0f, "merge_and_unload keeps the trained biases");
        }
        try (PeftModel model = PeftModel.create(tiny.bert(), BitFitConfig.builder().build())) {
            TunerChecks.randomize(model, "default", 0.5f, 3);
            model.deleteAdapter("default");
            assertArrayEquals(base, TunerChecks.run(model, tiny.ids()), 0f, "deleting gives the base model back");
            assertArrayEquals(base, TunerChecks.run(model.unload(), tiny.ids()), 0f);
        }
        try (PeftModel model = PeftModel.create(tiny.llama(), BitFitConfig.builder().addMissingBiases(true).build())) {
            PeftCompatibilityException e = assertThrows(PeftCompatibilityException.class, model::merge);
            assertTrue(e.getMessage().contains("BitFitLayer does not support merging"), e.getMessage());
        }
    }

    @Test
    void oneAdapterAtATimeAndMixedBatches() {
        try (PeftModel model = PeftModel.create(tiny.bert(), BitFitConfig.builder().build(), "a")) {
            model.addAdapter("b", BitFitConfig.builder().targetModules(BitFitConfig.PAPER_SUBSET).build());
            TunerChecks.randomize(model, "a", 0.5f, 4);
            TunerChecks.randomize(model, "b", 0.5f, 5);
            float[] a = TunerChecks.run(model, tiny.ids());
            model.setActiveAdapters("b");
            float[] b = TunerChecks.run(model, tiny.ids());
            float[] base;
            try (PeftModel.DisabledAdapters off = model.disableAdapters()) {
                base = TunerChecks.run(model, tiny.ids());
            }
            model.setActiveAdapters("a", "b");
            PeftCompatibilityException two = assertThrows(PeftCompatibilityException.class, () -> TunerChecks.run(model, tiny.ids()));
            assertTrue(two.getMessage().startsWith("BitFit runs one adapter at a time"), two.getMessage());
            float[] mixed = model.forward(new ParameterStore(tiny.manager(), false), new NDList(tiny.ids()), List.of("b", "a", "__base__", "b"))
                    .singletonOrThrow().toFloatArray();
            List<float[]> sources = List.of(b, a, base, b);
            for (int row = 0; row < 4; row++) {
                for (int c = 0; c < 2; c++) {
                    assertEquals(sources.get(row)[row * 2 + c], mixed[row * 2 + c], 1e-5f, "row " + row);
                }
            }
        }
    }

    @Test
    void saveAndLoadGiveIdenticalOutputs() throws Exception {
        float[] adapted;
        try (PeftModel model = PeftModel.create(tiny.llama(),
                BitFitConfig.builder().targetModules(BitFitConfig.PAPER_SUBSET).addMissingBiases(true).build())) {
            TunerChecks.randomize(model, "default", 0.5f, 6);
            adapted = TunerChecks.run(model, tiny.ids());
            model.save(tmp);
        }
        try (SafetensorsFile file = SafetensorsFile.open(tmp.resolve("adapter_model.safetensors"))) {
            assertEquals(List.of("base_model.model.model.layers.0.mlp.up_proj.bias", "base_model.model.model.layers.0.self_attn.q_proj.bias",
                    "base_model.model.model.layers.1.mlp.up_proj.bias", "base_model.model.model.layers.1.self_attn.q_proj.bias"),
                    file.names().stream().sorted().toList());
            assertArrayEquals(new long[] {24}, file.info("base_model.model.model.layers.1.mlp.up_proj.bias").shape());
        }
        JsonNode json = new ObjectMapper().readTree(Files.readString(tmp.resolve("adapter_config.json")));
        List<String> keys = new ArrayList<>();
        json.fieldNames().forEachRemaining(keys::add);
        assertEquals(List.of("add_missing_biases", "auto_mapping", "base_model_name_or_path", "exclude_modules", "inference_mode",
                "peft_type", "revision", "target_modules", "task_type"), keys);
        assertEquals("BITFIT", json.get("peft_type").asText());
        try (PeftModel loaded = PeftModel.fromPretrained(tiny.llama(), tmp)) {
            TunerChecks.churnDirectMemory(); // the file's mapping may be gone now; the adapter owns its values
            assertArrayEquals(adapted, TunerChecks.run(loaded, tiny.ids()), 0f);
        }
    }

    /** A block that reads its bias directly instead of through the ParameterStore. */
    private static final class RawBias extends Module {
        private final Parameter bias;

        RawBias(NDManager manager) {
            bias = parameter("bias", manager.ones(new Shape(3)));
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> p) {
            return new NDList(in.singletonOrThrow().add(bias.getArray()));
        }
    }

    @Test
    void aBlockThatBypassesTheParameterStoreIsReportedNotSilentlyIgnored() {
        BitFitLayer layer = new BitFitLayer(new RawBias(tiny.manager()));
        layer.addAdapter("a", tiny.manager());
        layer.setActiveAdapters(List.of("a"));
        PeftCompatibilityException e = assertThrows(PeftCompatibilityException.class,
                () -> layer.forward(new ParameterStore(tiny.manager(), false), new NDList(tiny.manager().zeros(new Shape(1, 3))), false));
        assertTrue(e.getMessage().contains("did not read its parameters [bias] through the ParameterStore"), e.getMessage());
    }

    private static double maxDiff(float[] a, float[] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }
}
