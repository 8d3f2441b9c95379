package io.github.peft4j.adapters.ia3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.peft4j.adapters.ModulesToSaveChecks;
import io.github.peft4j.adapters.Reference;
import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.io.AdapterConfigJson;
import io.github.peft4j.core.module.LinearLike;
import io.github.peft4j.core.module.ModuleTree;
import io.github.peft4j.core.safetensors.SafetensorsFile;
import io.github.peft4j.core.safetensors.SafetensorsWriter;
import io.github.peft4j.core.targeting.TargetModules;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** (IA)³ against PEFT's shapes, defaults, math and file format. */
class Ia3Test {

    /** What {@code save} writes for {@code Ia3Config.builder().build()} on TinyBert: PEFT's bert defaults, resolved. */
    private static final String RESOLVED_BERT_CONFIG = """
            {
              "auto_mapping": null,
              "base_model_name_or_path": "test/tiny-bert",
              "exclude_modules": null,
              "fan_in_fan_out": false,
              "feedforward_modules": [
                "output.dense"
              ],
              "inference_mode": true,
              "init_ia3_weights": true,
              "modules_to_save": null,
              "peft_type": "IA3",
              "revision": null,
              "target_modules": [
                "key",
                "value",
                "output.dense"
              ],
              "task_type": null
            }""";

    @TempDir
    Path tmp;

    @RegisterExtension
    final TinyFixture tiny = TinyFixture.seeds(31, 32, 33);

    private static Map<String, List<Long>> shapes(PeftModel model) {
        Map<String, List<Long>> out = new TreeMap<>();
        model.adapterParameters("default").forEach((k, p) -> {
            List<Long> dims = new ArrayList<>();
            for (long d : p.getArray().getShape().getShape()) {
                dims.add(d);
            }
            out.put(k, dims);
        });
        return out;
    }

    @Test
    void peftDefaultsPerArchitectureGiveOutAndInVectors() {
        try (PeftModel model = PeftModel.create(tiny.bert(), Ia3Config.builder().build())) {
            Map<String, List<Long>> s = shapes(model);
            assertEquals(8, s.size());
            String l0 = "bert.encoder.layer.0.";
            assertEquals(List.of(16L, 1L), s.get(l0 + "attention.self.key.ia3_l.default"));
            assertEquals(List.of(16L, 1L), s.get(l0 + "attention.self.value.ia3_l.default"));
            // PEFT's feed-forward test is a plain endswith("output.dense"): the attention output is feed-forward too
            assertEquals(List.of(1L, 16L), s.get(l0 + "attention.output.dense.ia3_l.default"));
            assertEquals(List.of(1L, 32L), s.get(l0 + "output.dense.ia3_l.default"));
            assertEquals(2 * (16 + 16 + 16 + 32), model.countParameters().trainable());
        }
        try (PeftModel model = PeftModel.create(tiny.llama(), Ia3Config.builder().build())) {
            Map<String, List<Long>> s = shapes(model);
            assertEquals(List.of(16L, 1L), s.get("model.layers.1.self_attn.k_proj.ia3_l.default"));
            assertEquals(List.of(16L, 1L), s.get("model.layers.1.self_attn.v_proj.ia3_l.default"));
            assertEquals(List.of(1L, 24L), s.get("model.layers.1.mlp.down_proj.ia3_l.default"));
            assertEquals(2 * (16 + 16 + 24), model.countParameters().trainable());
        }
        try (PeftModel model = PeftModel.create(tiny.gpt2(), Ia3Config.builder().build())) {
            Map<String, List<Long>> s = shapes(model);
            assertEquals(List.of(48L, 1L), s.get("transformer.h.0.attn.c_attn.ia3_l.default"));
            assertEquals(List.of(1L, 64L), s.get("transformer.h.0.mlp.c_proj.ia3_l.default"));
            assertEquals(2 * (48 + 64), model.countParameters().trainable());
        }
    }

    @Test
    void everyArchitectureEqualsTheBaseModelAtStepZero() {
        List<Supplier<Block>> models = List.of(tiny::bert, tiny::gpt2, tiny::llama);
        for (Supplier<Block> make : models) {
            float[] base = TunerChecks.run(make.get(), tiny.ids());
            try (PeftModel model = PeftModel.create(make.get(), Ia3Config.builder().build())) {
                assertArrayEquals(base, TunerChecks.run(model, tiny.ids()), 0f, model.baseModel().getClass().getSimpleName());
                Parameter any = model.adapterParameters("default").values().iterator().next();
                assertTrue(any.requiresGradient());
                assertEquals(1f, any.getArray().min().getFloat());
                assertEquals(1f, any.getArray().max().getFloat());
            }
        }
    }

    @Test
    void outputVectorsScaleRowsAndFeedForwardVectorsScaleInputs() {
        Engine.getInstance().setRandomSeed(4);
        Linear linear = Module.linear(tiny.manager(), 5, 3, true);
        Tensors.assign(linear.getParameters().get("bias").getArray(), tiny.manager().randomNormal(new Shape(3)));
        Ia3Layer layer = new Ia3Layer(linear);
        layer.addAdapter("out", false, false, tiny.manager());
        layer.addAdapter("in", true, false, tiny.manager());
        layer.addAdapter("out2", false, false, tiny.manager());
        NDArray x = tiny.manager().randomNormal(new Shape(2, 5));
        double[][] w = Reference.matrix(linear.getParameters().get("weight").getArray());
        double[] b = Reference.vector(linear.getParameters().get("bias").getArray());
        double[] lOut = Reference.vector(layer.adapterParameters("out").get("ia3_l.out").getArray());
        double[] lIn = Reference.vector(layer.adapterParameters("in").get("ia3_l.in").getArray());
        double[] lOut2 = Reference.vector(layer.adapterParameters("out2").get("ia3_l.out2").getArray());
        double[][] xs = Reference.matrix(x);

        layer.setActiveAdapters(List.of("out", "in", "out2"));
        float[] y = layer.forward(new ParameterStore(tiny.manager(), false), new NDList(x), false).singletonOrThrow().toFloatArray();
        for (int r = 0; r < 2; r++) {
            double[] scaledIn = new double[5];
            for (int i = 0; i < 5; i++) {
                scaledIn[i] = xs[r][i] * lIn[i];
            }
            double[] expected = Reference.linear(scaledIn, w, b);
            for (int o = 0; o < 3; o++) {
                assertEquals(expected[o] * lOut[o] * lOut2[o], y[r * 3 + o], 1e-5, "row " + r + " out " + o);
            }
        }
    }

    private void perturb(PeftModel model, int seed) {
        Engine.getInstance().setRandomSeed(seed);
        for (Parameter p : model.adapterParameters("default").values()) {
            NDArray a = p.getArray();
            Tensors.assign(a, tiny.manager().randomUniform(0.5f, 1.5f, a.getShape()));
        }
    }

    @Test
    void mergedEqualsUnmergedAndUnmergeRestoresTheWeights() {
        List<Supplier<Block>> models = List.of(tiny::bert, tiny::gpt2, tiny::llama);
        for (Supplier<Block> make : models) {
            try (PeftModel model = PeftModel.create(make.get(), Ia3Config.builder().build())) {
                perturb(model, 8);
                Map<String, float[]> weightsBefore = new LinkedHashMap<>();
                for (Map.Entry<String, Parameter> e : ModuleTree.of(model.baseModel()).parameters().entrySet()) {
                    if (!e.getKey().contains("ia3_l")) {
                        weightsBefore.put(e.getKey(), e.getValue().getArray().toFloatArray());
                    }
                }
                float[] unmerged = TunerChecks.run(model, tiny.ids());
                model.merge();
                float[] merged = TunerChecks.run(model, tiny.ids());
                assertArrayEquals(unmerged, merged, 1e-5f, "merged vs unmerged on " + model.baseModel().getClass().getSimpleName());
                long changed = weightsBefore.entrySet().stream().filter(e -> !java.util.Arrays.equals(e.getValue(),
                        ModuleTree.of(model.baseModel()).parameters().get(e.getKey()).getArray().toFloatArray())).count();
                assertTrue(changed >= 4, "merging rescales base weights");
                model.unmerge();
                for (Map.Entry<String, float[]> e : weightsBefore.entrySet()) {
                    assertArrayEquals(e.getValue(), ModuleTree.of(model.baseModel()).parameters().get(e.getKey()).getArray()
                            .toFloatArray(), 1e-5f, e.getKey());
                }
                assertArrayEquals(unmerged, TunerChecks.run(model, tiny.ids()), 1e-5f);
                model.merge();
                Block plain = model.mergeAndUnload();
                assertArrayEquals(unmerged, TunerChecks.run(plain, tiny.ids()), 1e-5f, "merge_and_unload");
            }
        }
    }

    @Test
    void mergeMultipliesRowsColumnsAndBiasesAsPeft() {
        Engine.getInstance().setRandomSeed(5);
        Linear linear = Module.linear(tiny.manager(), 4, 3, true);
        Tensors.assign(linear.getParameters().get("bias").getArray(), tiny.manager().randomNormal(new Shape(3)));
        double[][] w = Reference.matrix(linear.getParameters().get("weight").getArray());
        double[] b = Reference.vector(linear.getParameters().get("bias").getArray());
        Ia3Layer layer = new Ia3Layer(linear);
        layer.addAdapter("o", false, false, tiny.manager());
        layer.addAdapter("i", true, false, tiny.manager());
        double[] lo = Reference.vector(layer.adapterParameters("o").get("ia3_l.o").getArray());
        double[] li = Reference.vector(layer.adapterParameters("i").get("ia3_l.i").getArray());
        layer.merge(List.of("o", "i"));
        double[][] merged = Reference.matrix(linear.getParameters().get("weight").getArray());
        double[] mergedBias = Reference.vector(linear.getParameters().get("bias").getArray());
        for (int r = 0; r < 3; r++) {
            assertEquals(b[r] * lo[r], mergedBias[r], 1e-6, "output scaling multiplies the bias");
            for (int c = 0; c < 4; c++) {
                assertEquals(w[r][c] * lo[r] * li[c], merged[r][c], 1e-5);
            }
        }
        assertEquals(List.of("o", "i"), layer.mergedAdapters());
    }

    @Test
    void conv1dVectorsAreTransposedForTheInOutWeight() {
        try (PeftModel model = PeftModel.create(tiny.gpt2(), Ia3Config.builder().build())) {
            perturb(model, 9);
            LinearLike cAttn = ((Ia3Layer) model.modules().get("transformer.h.0.attn.c_attn")).linear();
            LinearLike cProj = ((Ia3Layer) model.modules().get("transformer.h.0.mlp.c_proj")).linear();
            double[][] attnBefore = Reference.matrix(cAttn.weight().getArray()); // [16, 48]
            double[][] projBefore = Reference.matrix(cProj.weight().getArray()); // [64, 16]
            double[] lAttn = Reference.vector(model.adapterParameters("default").get("transformer.h.0.attn.c_attn.ia3_l.default").getArray());
            double[] lProj = Reference.vector(model.adapterParameters("default").get("transformer.h.0.mlp.c_proj.ia3_l.default").getArray());
            model.merge();
            double[][] attnAfter = Reference.matrix(cAttn.weight().getArray());
            double[][] projAfter = Reference.matrix(cProj.weight().getArray());
            assertEquals(attnBefore[3][40] * lAttn[40], attnAfter[3][40], 1e-5, "output feature = column of [in, out]");
            assertEquals(projBefore[50][7] * lProj[50], projAfter[50][7], 1e-5, "input feature = row of [in, out]");
        }
    }

    @Test
    void mixedBatchScalesEachRowByItsAdapter() {
        try (PeftModel model = PeftModel.create(tiny.bert(), Ia3Config.builder().build(), "default")) {
            perturb(model, 10);
            model.addAdapter("other", Ia3Config.builder().targetModules("query").feedforwardModules().initIa3Weights(false).build());
            float[] first = TunerChecks.run(model, tiny.ids());
            model.setActiveAdapters("other");
            float[] second = TunerChecks.run(model, tiny.ids());
            float[] base;
            try (PeftModel.DisabledAdapters off = model.disableAdapters()) {
                base = TunerChecks.run(model, tiny.ids());
            }
            float[] mixed = model.forward(new ParameterStore(tiny.manager(), false), new NDList(tiny.ids()),
                    List.of("other", "default", "__base__", "default")).singletonOrThrow().toFloatArray();
            List<float[]> sources = List.of(second, first, base, first);
            for (int row = 0; row < 4; row++) {
                for (int c = 0; c < 2; c++) {
                    assertEquals(sources.get(row)[row * 2 + c], mixed[row * 2 + c], 1e-5f, "row " + row);
                }
            }
            model.setActiveAdapters("default");
            model.merge();
            assertThrows(PeftCompatibilityException.class, () -> model.forward(new ParameterStore(tiny.manager(), false),
                    new NDList(tiny.ids()), List.of("default", "default", "default", "default")));
        }
    }

    @Test
    void savedFileHasPeftsKeysShapesAndConfig() throws Exception {
        float[] adapted;
        try (PeftModel model = PeftModel.create(tiny.bert(), Ia3Config.builder().build())) {
            perturb(model, 11);
            adapted = TunerChecks.run(model, tiny.ids());
            model.save(tmp);
        }
        try (SafetensorsFile file = SafetensorsFile.open(tmp.resolve("adapter_model.safetensors"))) {
            assertEquals(8, file.names().size());
            assertArrayEquals(new long[] {16, 1}, file.info("base_model.model.bert.encoder.layer.0.attention.self.key.ia3_l").shape());
            assertArrayEquals(new long[] {1, 32}, file.info("base_model.model.bert.encoder.layer.1.output.dense.ia3_l").shape());
        }
        JsonNode json = new ObjectMapper().readTree(Files.readString(tmp.resolve("adapter_config.json")));
        List<String> keys = new ArrayList<>();
        json.fieldNames().forEachRemaining(keys::add);
        assertEquals(List.of("auto_mapping", "base_model_name_or_path", "exclude_modules", "fan_in_fan_out",
                "feedforward_modules", "inference_mode", "init_ia3_weights", "modules_to_save", "peft_type", "revision",
                "target_modules", "task_type"), keys);
        assertEquals("IA3", json.get("peft_type").asText());
        assertTrue(json.get("inference_mode").asBoolean());
        assertEquals("test/tiny-bert", json.get("base_model_name_or_path").asText());
        try (PeftModel loaded = PeftModel.fromPretrained(tiny.bert(), tmp)) {
            TunerChecks.churnDirectMemory(); // the file's mapping may be gone now; the adapter owns its values
            assertArrayEquals(adapted, TunerChecks.run(loaded, tiny.ids()), 0f);
        }
    }

    @Test
    void loadsAFileWrittenByPeft() throws Exception {
        // PEFT's IA3-on-BERT config, verbatim from docs/source/developer_guides/checkpoint.md
        Files.writeString(tmp.resolve("adapter_config.json"), """
                {
                  "auto_mapping": {
                    "base_model_class": "BertModel",
                    "parent_library": "transformers.models.bert.modeling_bert"
                  },
                  "base_model_name_or_path": "bert-base-uncased",
                  "fan_in_fan_out": false,
                  "feedforward_modules": [
                    "output.dense"
                  ],
                  "inference_mode": true,
                  "init_ia3_weights": true,
                  "modules_to_save": null,
                  "peft_type": "IA3",
                  "revision": null,
                  "target_modules": [
                    "key",
                    "value",
                    "output.dense"
                  ],
                  "task_type": null
                }
                """);
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        Map<String, NDArray> expectedScale = new LinkedHashMap<>();
        Engine.getInstance().setRandomSeed(12);
        for (int layer = 0; layer < 2; layer++) {
            String p = "bert.encoder.layer." + layer + ".";
            for (String m : List.of("attention.self.key", "attention.self.value")) {
                NDArray l = tiny.manager().randomUniform(0.5f, 1.5f, new Shape(16, 1));
                tensors.put("base_model.model." + p + m + ".ia3_l", l);
                expectedScale.put(p + m, l);
            }
            NDArray attnOut = tiny.manager().randomUniform(0.5f, 1.5f, new Shape(1, 16));
            tensors.put("base_model.model." + p + "attention.output.dense.ia3_l", attnOut);
            expectedScale.put(p + "attention.output.dense", attnOut);
            NDArray out = tiny.manager().randomUniform(0.5f, 1.5f, new Shape(1, 32));
            tensors.put("base_model.model." + p + "output.dense.ia3_l", out);
            expectedScale.put(p + "output.dense", out);
        }
        SafetensorsWriter.write(tmp.resolve("adapter_model.safetensors"), tensors);

        // independent expectation: rescale a fresh base model's weights by hand
        TinyBert reference = tiny.bert();
        Map<String, Parameter> params = ModuleTree.of(reference).parameters();
        for (Map.Entry<String, NDArray> e : expectedScale.entrySet()) {
            params.get(e.getKey() + ".weight").getArray().muli(e.getValue()); // [16,1] scales rows, [1,in] columns
            if (e.getValue().getShape().get(1) == 1) {
                params.get(e.getKey() + ".bias").getArray().muli(e.getValue().reshape(-1));
            }
        }
        float[] expected = TunerChecks.run(reference, tiny.ids());

        try (PeftModel loaded = PeftModel.fromPretrained(tiny.bert(), tmp)) {
            Ia3Config config = (Ia3Config) loaded.config("default");
            assertEquals("bert-base-uncased", config.baseModelNameOrPath());
            assertArrayEquals(expected, TunerChecks.run(loaded, tiny.ids()), 1e-5f);
            assertFalse(TunerChecks.run(tiny.bert(), tiny.ids())[0] == expected[0], "the adapter changes the output");
        }
    }

    @Test
    void configsAreCheckedAsPeftChecksThem() {
        PeftConfigException subset = assertThrows(PeftConfigException.class,
                () -> Ia3Config.builder().targetModules("k_proj", "v_proj").feedforwardModules("down_proj").build());
        assertEquals("`feedforward_modules` should be a subset of `target_modules`: [down_proj] is not within [k_proj, v_proj]",
                subset.getMessage());
        Block anonymous = tiny.bert().getChildren().get("01bert");
        try (PeftModel model = PeftModel.wrap(anonymous)) {
            PeftConfigException noDefault = assertThrows(PeftConfigException.class,
                    () -> model.addAdapter("x", Ia3Config.builder().build()));
            assertTrue(noDefault.getMessage().startsWith("Please specify `target_modules` in the (IA)^3 config: PEFT has no default"),
                    noDefault.getMessage());
            PeftConfigException notLinear = assertThrows(PeftConfigException.class, () -> model.addAdapter("z",
                    Ia3Config.builder().targetModules("LayerNorm").feedforwardModules().build()));
            assertTrue(notLinear.getMessage().startsWith("(IA)^3 adapts linear layers"), notLinear.getMessage());
        }
    }

    @Test
    void modulesToSaveTrainsSavesAndLoadsTheClassifierCopy() {
        ModulesToSaveChecks.trainsSavesAndLoadsTheClassifierCopy(Ia3Config.builder().modulesToSave("classifier").build(), 8,
                tiny.manager(), tmp);
    }

    @Test
    void savedConfigNamesTheResolvedDefaultModulesAsPeftDoes() throws Exception {
        float[] adapted;
        try (PeftModel model = PeftModel.create(tiny.bert(), Ia3Config.builder().build())) {
            perturb(model, 13);
            adapted = TunerChecks.run(model, tiny.ids());
            model.save(tmp);
        }
        assertEquals(RESOLVED_BERT_CONFIG, Files.readString(tmp.resolve("adapter_config.json")));
        Ia3Config read = (Ia3Config) AdapterConfigJson.parse(RESOLVED_BERT_CONFIG);
        assertEquals(List.of("key", "value", "output.dense"), read.targetModules().names());
        assertEquals(List.of("output.dense"), read.feedforwardModules().names());
        try (PeftModel loaded = PeftModel.fromPretrained(tiny.bert(), tmp)) {
            assertArrayEquals(adapted, TunerChecks.run(loaded, tiny.ids()), 0f);
        }
    }

    @Test
    void defaultFeedforwardModulesAreCutToTheGivenTargetsOnlyWhenThatMarksTheSameModules() {
        try (PeftModel model = PeftModel.create(tiny.bert(), Ia3Config.builder().targetModules("key", "value").build())) {
            Ia3Config stored = (Ia3Config) model.config("default");
            assertEquals(List.of(), stored.feedforwardModules().names(), "PEFT's reader needs a subset of target_modules");
            assertEquals(List.of(16L, 1L), shapes(model).get("bert.encoder.layer.0.attention.self.key.ia3_l.default"));
        }
        // "dense" reaches output.dense and attention.output.dense, which PEFT's default marks as feed-forward
        PeftConfigException e = assertThrows(PeftConfigException.class,
                () -> PeftModel.create(tiny.bert(), Ia3Config.builder().targetModules("dense").build()));
        assertEquals("Please specify `feedforward_modules` in the (IA)^3 config: PEFT's default [output.dense] for"
                + " model_type 'bert' marks bert.encoder.layer.0.attention.output.dense as feed-forward but is not a subset"
                + " of `target_modules` [dense]", e.getMessage());
    }

    @Test
    void regexFeedforwardModulesUseFullMatch() {
        assertTrue(Ia3Method.isFeedforward(TargetModules.regex(".*\\.output\\.dense"),
                "bert.encoder.layer.0.output.dense"));
        assertFalse(Ia3Method.isFeedforward(TargetModules.regex("output\\.dense"),
                "bert.encoder.layer.0.output.dense"));
        assertTrue(Ia3Method.isFeedforward(TargetModules.names("output.dense"),
                "bert.encoder.layer.0.attention.output.dense"));
    }

    @Test
    void initIa3WeightsFalseDrawsStandardNormalVectors() {
        try (PeftModel model = PeftModel.create(tiny.bert(), Ia3Config.builder().initIa3Weights(false).build())) {
            double sum = 0;
            double squares = 0;
            long n = 0;
            for (Parameter p : model.adapterParameters("default").values()) {
                for (float v : p.getArray().toFloatArray()) {
                    sum += v;
                    squares += v * v;
                    n++;
                }
            }
            assertEquals(160, n);
            assertEquals(0, sum / n, 0.25);
            assertEquals(1, Math.sqrt(squares / n), 0.25);
        }
    }
}
