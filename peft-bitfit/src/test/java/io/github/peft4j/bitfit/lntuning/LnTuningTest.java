package io.github.peft4j.bitfit.lntuning;

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
import ai.djl.training.ParameterStore;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.peft4j.bitfit.BitFitConfig;
import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.module.ModuleTree;
import io.github.peft4j.core.safetensors.SafetensorsFile;
import io.github.peft4j.core.safetensors.SafetensorsWriter;
import io.github.peft4j.core.targeting.TargetModules;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

class LnTuningTest {

    @TempDir
    Path tmp;

    @RegisterExtension
    final TinyFixture tiny = TinyFixture.seeds(51, 52, 53);

    private static LnTuningConfig bertNorms() {
        return LnTuningConfig.builder().targetModules("LayerNorm").build();
    }

    @Test
    void peftDefaultsPickTheNormsOfEachArchitecture() {
        try (PeftModel model = PeftModel.create(tiny.llama(), LnTuningConfig.builder().build())) {
            assertEquals(List.of("model.layers.0.input_layernorm.ln_tuning_layers.default.weight",
                    "model.layers.0.post_attention_layernorm.ln_tuning_layers.default.weight",
                    "model.layers.1.input_layernorm.ln_tuning_layers.default.weight",
                    "model.layers.1.post_attention_layernorm.ln_tuning_layers.default.weight",
                    "model.norm.ln_tuning_layers.default.weight"), new ArrayList<>(model.adapterParameters("default").keySet()));
            assertEquals(5 * 16, model.countParameters().trainable());
        }
        try (PeftModel model = PeftModel.create(tiny.gpt2(), LnTuningConfig.builder().build())) {
            assertEquals(5 * 2 * 16, model.countParameters().trainable(), "ln_1, ln_2 per layer and ln_f, weight + bias");
        }
        try (PeftModel model = PeftModel.create(tiny.bert(), bertNorms())) {
            assertEquals(5 * 2 * 16, model.countParameters().trainable(), "embeddings + two per layer");
            long base = ModuleTree.of(tiny.bert()).parameters().values().stream().mapToLong(p -> p.getArray().size()).sum();
            assertEquals(base + 5 * 2 * 16, model.countParameters().all(), "PEFT counts the copies too");
        }
        PeftConfigException bert = assertThrows(PeftConfigException.class, () -> PeftModel.create(tiny.bert(), LnTuningConfig.builder().build()));
        assertTrue(bert.getMessage().startsWith("Please specify `target_modules` in the LN-tuning config: PEFT has no default for model_type 'bert'"),
                bert.getMessage());
    }

    @Test
    void everyModelEqualsItsBaseAtStepZero() {
        List<Supplier<Block>> models = List.of(tiny::gpt2, tiny::llama);
        for (Supplier<Block> make : models) {
            float[] base = TunerChecks.run(make.get(), tiny.ids());
            try (PeftModel model = PeftModel.create(make.get(), LnTuningConfig.builder().build())) {
                assertArrayEquals(base, TunerChecks.run(model, tiny.ids()), 0f);
            }
        }
        float[] base = TunerChecks.run(tiny.bert(), tiny.ids());
        try (PeftModel model = PeftModel.create(tiny.bert(), bertNorms())) {
            assertArrayEquals(base, TunerChecks.run(model, tiny.ids()), 0f);
        }
    }

    /** Random norm parameters, keyed by the norm's path, for both the adapter and the by-hand reference. */
    private Map<String, NDArray> randomNorms(List<String> paths, boolean withBias) {
        Engine.getInstance().setRandomSeed(7);
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (String path : paths) {
            out.put(path + ".weight", tiny.manager().randomUniform(0.5f, 1.5f, new Shape(16)));
            if (withBias) {
                out.put(path + ".bias", tiny.manager().randomUniform(-0.5f, 0.5f, new Shape(16)));
            }
        }
        return out;
    }

    private static final List<String> BERT_NORMS = List.of("bert.embeddings.LayerNorm",
            "bert.encoder.layer.0.attention.output.LayerNorm", "bert.encoder.layer.0.output.LayerNorm",
            "bert.encoder.layer.1.attention.output.LayerNorm", "bert.encoder.layer.1.output.LayerNorm");

    /** The base model with its norm parameters set by hand: what the tuned model must compute. */
    private float[] referenceWith(Map<String, NDArray> norms) {
        TinyBert reference = tiny.bert();
        Map<String, Parameter> params = ModuleTree.of(reference).parameters();
        norms.forEach((k, v) -> Tensors.assign(params.get(k).getArray(), v));
        return TunerChecks.run(reference, tiny.ids());
    }

    @Test
    void theTunedCopiesReplaceTheNormParameters() {
        Map<String, NDArray> norms = randomNorms(BERT_NORMS, true);
        float[] expected = referenceWith(norms);
        try (PeftModel model = PeftModel.create(tiny.bert(), bertNorms())) {
            Map<String, Parameter> adapter = model.adapterParameters("default");
            norms.forEach((k, v) -> {
                int dot = k.lastIndexOf('.');
                Tensors.assign(adapter.get(k.substring(0, dot) + ".ln_tuning_layers.default" + k.substring(dot)).getArray(), v);
            });
            assertArrayEquals(expected, TunerChecks.run(model, tiny.ids()), 1e-6f);
            assertTrue(maxDiff(expected, TunerChecks.run(tiny.bert(), tiny.ids())) > 1e-3, "the norms matter");
        }
    }

    @Test
    void loadsAFileInPeftsLayout() throws Exception {
        Files.writeString(tmp.resolve("adapter_config.json"), """
                {
                  "auto_mapping": null,
                  "base_model_name_or_path": "test/tiny-bert",
                  "exclude_modules": null,
                  "inference_mode": true,
                  "modules_to_save": null,
                  "peft_type": "LN_TUNING",
                  "peft_version": "0.20.0",
                  "revision": null,
                  "target_modules": [
                    "LayerNorm"
                  ],
                  "task_type": "SEQ_CLS"
                }
                """);
        Map<String, NDArray> norms = randomNorms(BERT_NORMS, true);
        Map<String, NDArray> file = new LinkedHashMap<>();
        norms.forEach((k, v) -> {
            int dot = k.lastIndexOf('.');
            file.put("base_model.model." + k.substring(0, dot) + ".ln_tuning_layers" + k.substring(dot), v);
        });
        SafetensorsWriter.write(tmp.resolve("adapter_model.safetensors"), file);
        float[] expected = referenceWith(norms);
        try (PeftModel loaded = PeftModel.fromPretrained(tiny.bert(), tmp)) {
            assertArrayEquals(expected, TunerChecks.run(loaded, tiny.ids()), 1e-6f);
        }
    }

    @Test
    void saveWritesPeftsKeysAndLoadsBackIdentically() throws Exception {
        float[] adapted;
        try (PeftModel model = PeftModel.create(tiny.llama(), LnTuningConfig.builder().build())) {
            TunerChecks.randomize(model, "default", 0.5f, 8);
            adapted = TunerChecks.run(model, tiny.ids());
            model.save(tmp);
        }
        try (SafetensorsFile file = SafetensorsFile.open(tmp.resolve("adapter_model.safetensors"))) {
            assertEquals(List.of("base_model.model.model.layers.0.input_layernorm.ln_tuning_layers.weight",
                    "base_model.model.model.layers.0.post_attention_layernorm.ln_tuning_layers.weight",
                    "base_model.model.model.layers.1.input_layernorm.ln_tuning_layers.weight",
                    "base_model.model.model.layers.1.post_attention_layernorm.ln_tuning_layers.weight",
                    "base_model.model.model.norm.ln_tuning_layers.weight"), file.names().stream().sorted().toList());
        }
        JsonNode json = new ObjectMapper().readTree(Files.readString(tmp.resolve("adapter_config.json")));
        List<String> keys = new ArrayList<>();
        json.fieldNames().forEachRemaining(keys::add);
        assertEquals(List.of("auto_mapping", "base_model_name_or_path", "exclude_modules", "inference_mode", "modules_to_save",
                "peft_type", "revision", "target_modules", "task_type"), keys);
        assertEquals("LN_TUNING", json.get("peft_type").asText());
        assertTrue(json.get("target_modules").isNull(), "like PEFT, an unset target list is resolved again from model_type");
        try (PeftModel loaded = PeftModel.fromPretrained(tiny.llama(), tmp)) {
            TunerChecks.churnDirectMemory(); // the file's mapping may be gone now; the adapter owns its values
            assertArrayEquals(adapted, TunerChecks.run(loaded, tiny.ids()), 0f);
        }
    }

    @Test
    void mergeSwapsTheCopyInAndUnmergeSwapsItBack() {
        float[] base = TunerChecks.run(tiny.gpt2(), tiny.ids());
        try (PeftModel model = PeftModel.create(tiny.gpt2(), LnTuningConfig.builder().build())) {
            TunerChecks.randomize(model, "default", 0.5f, 9);
            float[] adapted = TunerChecks.run(model, tiny.ids());
            model.merge();
            assertArrayEquals(adapted, TunerChecks.run(model, tiny.ids()), 0f);
            model.unmerge();
            try (PeftModel.DisabledAdapters off = model.disableAdapters()) {
                assertArrayEquals(base, TunerChecks.run(model, tiny.ids()), 0f);
            }
            assertArrayEquals(adapted, TunerChecks.run(model.mergeAndUnload(), tiny.ids()), 0f);
        }
        try (PeftModel model = PeftModel.create(tiny.gpt2(), LnTuningConfig.builder().build(), "a")) {
            model.addAdapter("b", LnTuningConfig.builder().build());
            PeftCompatibilityException e = assertThrows(PeftCompatibilityException.class, () -> model.merge(List.of("a", "b")));
            assertTrue(e.getMessage().contains("does not allow merging more than one adapter at a time"), e.getMessage());
            // one after the other, as PEFT: merging b first unmerges a, so the base then computes b alone
            TunerChecks.randomize(model, "a", 0.5f, 12);
            TunerChecks.randomize(model, "b", 0.5f, 13);
            model.setActiveAdapters("b");
            float[] onlyB = TunerChecks.run(model, tiny.ids());
            model.merge(List.of("a"));
            model.merge(List.of("b"));
            assertEquals(List.of("b"), model.tunerLayers().get(0).mergedAdapters());
            assertArrayEquals(onlyB, TunerChecks.run(model, tiny.ids()), 0f);
        }
    }

    @Test
    void adaptersCoexistAndMixedBatchesRouteRows() {
        try (PeftModel model = PeftModel.create(tiny.bert(), bertNorms(), "a")) {
            model.addAdapter("b", LnTuningConfig.builder().targetModules(
                    TargetModules.regex(".*\\.output\\.LayerNorm")).build());
            TunerChecks.randomize(model, "a", 0.5f, 10);
            TunerChecks.randomize(model, "b", 0.5f, 11);
            float[] a = TunerChecks.run(model, tiny.ids());
            model.setActiveAdapters("b");
            float[] b = TunerChecks.run(model, tiny.ids());
            model.deleteAdapter("b");
            model.setActiveAdapters("a");
            assertArrayEquals(a, TunerChecks.run(model, tiny.ids()), 0f, "deleting b leaves a as it was");
            model.addAdapter("b", LnTuningConfig.builder().targetModules("LayerNorm").build());
            TunerChecks.randomize(model, "b", 0.5f, 12);
            model.setActiveAdapters("b");
            b = TunerChecks.run(model, tiny.ids());
            float[] mixed = model.forward(new ParameterStore(tiny.manager(), false), new NDList(tiny.ids()), List.of("a", "b", "b", "a"))
                    .singletonOrThrow().toFloatArray();
            List<float[]> sources = List.of(a, b, b, a);
            for (int row = 0; row < 4; row++) {
                for (int c = 0; c < 2; c++) {
                    assertEquals(sources.get(row)[row * 2 + c], mixed[row * 2 + c], 1e-5f, "row " + row);
                }
            }
        }
    }

    @Test
    void oneTunerPerModule() {
        try (PeftModel model = PeftModel.create(tiny.bert(), bertNorms())) {
            PeftCompatibilityException e = assertThrows(PeftCompatibilityException.class,
                    () -> model.addAdapter("bitfit", BitFitConfig.builder().build()));
            assertTrue(e.getMessage().contains("already wrapped by LnTuningLayer"), e.getMessage());
        }
    }

    @Test
    void modulesToSaveTrainsACopyOfTheHeadSavedUnderItsOwnKeys() throws Exception {
        LnTuningConfig config = LnTuningConfig.builder().targetModules("LayerNorm").modulesToSave(List.of("classifier")).build();
        TinyTraining.Dataset data = TinyTraining.signalTokens(tiny.manager(), 32, 8, 16, 13);
        float[] trained;
        try (PeftModel model = PeftModel.create(tiny.bert(), config)) {
            assertEquals(5 * 2 * 16 + 16 * 2 + 2, model.countParameters().trainable(), "norm copies + head copy");
            Map<String, Parameter> adapter = model.adapterParameters("default");
            assertTrue(adapter.containsKey("classifier.modules_to_save.default.weight"), adapter.keySet().toString());
            Map<String, Parameter> base = new LinkedHashMap<>(ModuleTree.of(model.baseModel()).parameters());
            base.values().removeAll(adapter.values());
            Map<String, float[]> baseBefore = TunerChecks.snapshot(base);
            Map<String, float[]> adapterBefore = TunerChecks.snapshot(adapter);
            TinyTraining.Adam adam = new TinyTraining.Adam(model.trainableParameters(), 0.05f, tiny.manager());
            for (int s = 0; s < 3; s++) {
                TinyTraining.step(model, data, adam);
            }
            base.forEach((k, p) -> assertArrayEquals(baseBefore.get(k), p.getArray().toFloatArray(), 0f, k + " is frozen"));
            for (String k : List.of("classifier.modules_to_save.default.weight", "classifier.modules_to_save.default.bias",
                    "bert.embeddings.LayerNorm.ln_tuning_layers.default.weight")) {
                assertTrue(maxDiff(adapterBefore.get(k), adapter.get(k).getArray().toFloatArray()) > 0, k + " trained");
            }
            trained = TunerChecks.run(model, tiny.ids());
            model.save(tmp);
        }
        try (SafetensorsFile file = SafetensorsFile.open(tmp.resolve("adapter_model.safetensors"))) {
            List<String> names = file.names().stream().sorted().toList();
            assertEquals(12, names.size(), names.toString());
            assertTrue(names.containsAll(List.of("base_model.model.classifier.weight", "base_model.model.classifier.bias",
                    "base_model.model.bert.embeddings.LayerNorm.ln_tuning_layers.weight")), names.toString());
        }
        JsonNode json = new ObjectMapper().readTree(Files.readString(tmp.resolve("adapter_config.json")));
        assertEquals("[\"classifier\"]", json.get("modules_to_save").toString());
        try (PeftModel loaded = PeftModel.fromPretrained(tiny.bert(), tmp)) {
            assertArrayEquals(trained, TunerChecks.run(loaded, tiny.ids()), 0f);
        }
        assertTrue(maxDiff(trained, TunerChecks.run(tiny.bert(), tiny.ids())) > 1e-4, "training changed the outputs");
    }

    private static double maxDiff(float[] a, float[] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }
}
