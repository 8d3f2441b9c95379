package io.github.peft4j.lora;

import io.github.peft4j.lora.layer.LoraEmbedding;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.ToyModels;
import io.github.peft4j.core.module.ModuleTree;
import io.github.peft4j.core.testmodels.Conv1D;
import io.github.peft4j.core.tuner.TunerLayer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class MergeTest {

    private static final int VOCAB = 13;
    private static final int DIM = 8;

    private NDManager manager;
    private NDArray ids;

    @BeforeEach
    void setUp() {
        manager = NDManager.newBaseManager();
        Engine.getInstance().setRandomSeed(11);
        ids = manager.randomInteger(0, VOCAB, new Shape(2, 5), DataType.INT64);
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    private ToyModels.ToyModel llama() {
        return ToyModels.causalLm(manager, VOCAB, DIM, 2, 21);
    }

    /** The base model's own parameters (no adapter tensors), copied. */
    private static Map<String, double[]> baseWeights(PeftModel model) {
        Map<String, double[]> out = new LinkedHashMap<>();
        Map<Parameter, Boolean> adapter = new java.util.IdentityHashMap<>();
        for (TunerLayer l : model.tunerLayers()) {
            for (String a : l.adapterNames()) {
                l.adapterParameters(a).values().forEach(p -> adapter.put(p, true));
            }
        }
        ModuleTree.of(model.baseModel()).parameters().forEach((k, p) -> {
            if (!adapter.containsKey(p)) {
                out.put(k, Ref.vec(p.getArray()));
            }
        });
        return out;
    }

    private void assertMergeMatchesAndUnmergeRestores(PeftModel model, NDArray input) {
        Map<String, double[]> before = baseWeights(model);
        double[] unmerged = Ref.run(model, input);
        model.merge();
        assertFalse(model.tunerLayers().stream().allMatch(l -> l.mergedAdapters().isEmpty()), "something merged");
        double[] merged = Ref.run(model, input);
        assertTrue(Ref.maxAbsDiff(unmerged, merged) < 1e-5, "merged differs by " + Ref.maxAbsDiff(unmerged, merged)
                + " max " + java.util.Arrays.stream(unmerged).map(Math::abs).max().getAsDouble());
        Map<String, double[]> mergedWeights = baseWeights(model);
        assertTrue(before.keySet().stream().anyMatch(k -> Ref.maxAbsDiff(before.get(k), mergedWeights.get(k)) > 1e-4),
                "merging changed no base weight");
        model.unmerge();
        Map<String, double[]> after = baseWeights(model);
        assertEquals(before.keySet(), after.keySet());
        for (String k : before.keySet()) {
            double d = Ref.maxAbsDiff(before.get(k), after.get(k));
            assertTrue(d <= 1e-6, k + " not restored: " + d);
        }
        assertTrue(Ref.maxAbsDiff(unmerged, Ref.run(model, input)) < 1e-5, "unmerged forward changed");
    }

    @Test
    void linearLayersOfAModel() {
        LoraConfig config = LoraConfig.builder().r(4).loraAlpha(8).initLoraWeights(false).targetModules("all-linear").build();
        try (PeftModel model = PeftModel.create(llama(), config)) {
            assertMergeMatchesAndUnmergeRestores(model, ids);
        }
    }

    @Test
    void fanInFanOutLayer() {
        TestBlocks.Single base = new TestBlocks.Single(new Conv1D(manager, 6, 9, DataType.FLOAT32, 0.5f));
        try (PeftModel model = PeftModel.create(base,
                LoraConfig.builder().r(3).loraAlpha(5).initLoraWeights(false).targetModules("layer").build())) {
            assertMergeMatchesAndUnmergeRestores(model, manager.randomNormal(new Shape(4, 6)));
        }
    }

    @Test
    void embeddingLayer() {
        LoraConfig config = LoraConfig.builder().r(3).loraAlpha(6).initLoraWeights(false)
                .targetModules("embed_tokens", "q_proj").build();
        try (PeftModel model = PeftModel.create(llama(), config)) {
            assertTrue(model.modules().get("model.embed_tokens") instanceof LoraEmbedding);
            assertMergeMatchesAndUnmergeRestores(model, ids);
        }
    }

    @Test
    void doraOnLinearAndEmbedding() {
        LoraConfig config = LoraConfig.builder().r(3).loraAlpha(6).useDora(true).initLoraWeights(false)
                .targetModules("embed_tokens", "q_proj", "v_proj").build();
        try (PeftModel model = PeftModel.create(llama(), config)) {
            perturbMagnitudes(model, "default");
            assertMergeMatchesAndUnmergeRestores(model, ids);
        }
    }

    @Test
    void doraOnFanInFanOut() {
        TestBlocks.Single base = new TestBlocks.Single(new Conv1D(manager, 6, 4, DataType.FLOAT32, 0.5f));
        try (PeftModel model = PeftModel.create(base, LoraConfig.builder().r(2).useDora(true).initLoraWeights(false)
                .targetModules("layer").build())) {
            perturbMagnitudes(model, "default");
            assertMergeMatchesAndUnmergeRestores(model, manager.randomNormal(new Shape(3, 6)));
        }
    }

    @Test
    void severalAdaptersAndLoraBias() {
        try (PeftModel model = PeftModel.create(llama(), LoraConfig.builder().r(2).initLoraWeights(false)
                .targetModules("q_proj", "v_proj").loraBias(true).build())) {
            for (TunerLayer l : model.tunerLayers()) {
                // lora_B's bias starts at zero; give it values so that merging it is visible
                NDArray bias = l.adapterParameters("default").get("lora_B.default.bias").getArray();
                bias.addi(manager.randomNormal(bias.getShape()));
            }
            model.addAdapter("b", LoraConfig.builder().r(3).loraAlpha(3).initLoraWeights(false)
                    .targetModules("v_proj", "down_proj").build());
            // DoRA on layers no other adapter touches: with another adapter on the same layer PEFT's unmerged
            // DoRA term sees that adapter's output in "base" while its merge does not, so the two differ.
            model.addAdapter("c", LoraConfig.builder().r(2).useDora(true).initLoraWeights(false)
                    .targetModules("up_proj", "o_proj").build());
            model.setActiveAdapters("default", "b", "c");
            perturbMagnitudes(model, "c");
            assertMergeMatchesAndUnmergeRestores(model, ids);
        }
    }

    @Test
    void mergeAndUnloadGivesAPlainModelWithTheAdaptedOutputs() {
        ToyModels.ToyModel base = llama();
        List<String> paths = ModuleTree.of(base).paths();
        PeftModel model = PeftModel.create(base, LoraConfig.builder().r(4).useDora(true).initLoraWeights(false)
                .targetModules("q_proj", "o_proj", "embed_tokens").build());
        perturbMagnitudes(model, "default");
        double[] adapted = Ref.run(model, ids);
        Block plain = model.mergeAndUnload();
        assertEquals(paths, ModuleTree.of(plain).paths(), "no tuner layer is left");
        assertTrue(ModuleTree.of(plain).modules().values().stream().noneMatch(m -> m.block() instanceof TunerLayer));
        assertTrue(Ref.maxAbsDiff(adapted, Ref.run(plain, ids)) < 1e-5);
        model.close();
    }

    @Test
    void unloadGivesBackTheUntouchedBase() {
        ToyModels.ToyModel base = llama();
        double[] before = Ref.run(base, ids);
        PeftModel model = PeftModel.create(base, LoraConfig.builder().initLoraWeights(false).targetModules("q_proj").build());
        model.merge();
        Block plain = model.unload();
        // unmerging subtracts the delta it added: W + dW - dW is W up to one rounding per weight, as in PEFT
        assertEquals(0.0, Ref.maxAbsDiff(before, Ref.run(plain, ids)), 1e-5);
        model.close();
    }

    @Test
    void mergingALoraBiasIntoALayerWithoutBiasIsRefused() {
        ToyModels.ToyModel base = llama();
        try (PeftModel model = PeftModel.create(base, LoraConfig.builder().loraBias(true).targetModules("k_proj").build())) {
            assertThrows(PeftCompatibilityException.class, model::merge);
        }
    }

    private void perturbMagnitudes(PeftModel model, String adapter) {
        for (TunerLayer l : model.tunerLayers()) {
            Parameter m = l.adapterParameters(adapter).get("lora_magnitude_vector." + adapter + ".weight");
            if (m != null) {
                NDArray noise = manager.randomUniform(0.5f, 1.5f, m.getArray().getShape());
                m.getArray().muli(noise);
            }
        }
    }

    @Test
    void aMergedModelSavedUnderItsHuggingFaceKeysReloadsWithTheAdaptedOutputs(@org.junit.jupiter.api.io.TempDir
            java.nio.file.Path tmp) {
        PeftModel model = PeftModel.create(llama(), LoraConfig.builder().r(4).initLoraWeights(false)
                .targetModules("all-linear").build());
        model.addAdapter("emb", LoraConfig.builder().r(2).initLoraWeights(false).targetModules("embed_tokens").build());
        model.setActiveAdapters("default", "emb");
        double[] adapted = Ref.run(model, ids);
        Block plain = model.mergeAndUnload();
        Map<String, Parameter> params = ModuleTree.of(plain).parameters();
        assertEquals(ModuleTree.of(llama()).parameters().keySet(), params.keySet(), "the base model's own keys");
        Map<String, NDArray> state = new LinkedHashMap<>();
        params.forEach((k, p) -> state.put(k, p.getArray()));
        java.nio.file.Path file = tmp.resolve("model.safetensors");
        io.github.peft4j.core.safetensors.SafetensorsWriter.write(file, state);
        model.close();

        ToyModels.ToyModel fresh = ToyModels.causalLm(manager, VOCAB, DIM, 2, 99);
        try (var checkpoint = io.github.peft4j.core.safetensors.SafetensorsFile.open(file)) {
            ModuleTree.of(fresh).parameters().forEach((k, p) ->
                    io.github.peft4j.core.tuner.Tensors.assign(p.getArray(), checkpoint.load(k, manager)));
        }
        assertTrue(Ref.maxAbsDiff(adapted, Ref.run(fresh, ids)) < 1e-5);
    }
}
