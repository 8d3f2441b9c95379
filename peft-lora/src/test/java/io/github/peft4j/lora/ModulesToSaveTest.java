package io.github.peft4j.lora;

import io.github.peft4j.core.tuner.ModulesToSaveWrapper;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.ToyModels;
import io.github.peft4j.core.hooks.AdapterRouting;
import io.github.peft4j.core.module.ModuleTree;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PEFT's modules_to_save: a trainable copy per adapter, saved under the module's own keys. */
@SuppressWarnings("try") // disableAdapters() handles are held, not used
class ModulesToSaveTest {

    private static final int VOCAB = 11;
    private static final int DIM = 8;

    @TempDir
    Path tmp;

    private NDManager manager;
    private NDArray ids;

    @BeforeEach
    void setUp() {
        manager = NDManager.newBaseManager();
        Engine.getInstance().setRandomSeed(8);
        ids = manager.randomInteger(0, VOCAB, new Shape(2, 4), DataType.INT64);
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    private ToyModels.ToyModel llama() {
        return ToyModels.causalLm(manager, VOCAB, DIM, 1, 12);
    }

    private static LoraConfig withHead() {
        return LoraConfig.builder().r(2).targetModules("q_proj").modulesToSave("lm_head").build();
    }

    private static Parameter copy(PeftModel model, String adapter) {
        return model.adapterParameters(adapter).get("lm_head.modules_to_save." + adapter + ".weight");
    }

    @Test
    void theCopyTrainsAndIsSavedUnderTheModulesOwnKey() throws Exception {
        ToyModels.ToyModel base = llama();
        Parameter original = ModuleTree.of(base).parameters().get("lm_head.weight");
        float[] originalValues = original.getArray().toFloatArray();
        double[] before = Ref.run(base, ids);
        double[] adapted;
        try (PeftModel model = PeftModel.create(base, withHead())) {
            assertTrue(model.modules().get("lm_head") instanceof ModulesToSaveWrapper);
            assertEquals(2 * 2 * DIM + VOCAB * DIM, model.countParameters().trainable(), "LoRA on q plus the whole head");
            assertArrayEquals(before, Ref.run(model, ids), "the copy starts equal");
            copy(model, "default").getArray().addi(manager.randomNormal(new Shape(VOCAB, DIM)));
            adapted = Ref.run(model, ids);
            assertTrue(Ref.maxAbsDiff(before, adapted) > 1e-3);
            assertArrayEquals(originalValues, original.getArray().toFloatArray(), "the original is untouched");
            try (PeftModel.DisabledAdapters off = model.disableAdapters()) {
                assertArrayEquals(before, Ref.run(model, ids));
            }
            Set<String> keys = new TreeSet<>(model.savedStateDict("default").keySet());
            assertEquals(Set.of("base_model.model.lm_head.weight",
                    "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight",
                    "base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight"), keys);
            model.save(tmp);
        }
        try (PeftModel loaded = PeftModel.fromPretrained(llama(), tmp)) {
            assertEquals(0.0, Ref.maxAbsDiff(adapted, Ref.run(loaded, ids)), 1e-6);
        }
    }

    @Test
    void eachAdapterHasItsOwnCopyAndMixedBatchesPickThem() {
        try (PeftModel model = PeftModel.create(llama(), withHead())) {
            model.addAdapter("other", withHead());
            copy(model, "other").getArray().addi(1f);
            double[] first = Ref.run(model, ids);
            model.setActiveAdapters("other");
            double[] second = Ref.run(model, ids);
            assertTrue(Ref.maxAbsDiff(first, second) > 1e-3);
            double[] mixed = Ref.vec(model.forward(new ParameterStore(manager, false), new NDList(ids),
                    List.of("other", AdapterRouting.BASE)).head());
            int half = mixed.length / 2;
            assertTrue(Ref.maxAbsDiff(Arrays.copyOf(second, half), Arrays.copyOf(mixed, half)) < 1e-5);
            double[] base;
            try (PeftModel.DisabledAdapters off = model.disableAdapters()) {
                base = Ref.run(model, ids);
            }
            assertTrue(Ref.maxAbsDiff(Arrays.copyOfRange(base, half, base.length),
                    Arrays.copyOfRange(mixed, half, mixed.length)) < 1e-5);
        }
    }

    @Test
    void mergeAndUnloadLeavesTheTrainedCopyInTheModule() {
        PeftModel model = PeftModel.create(llama(), withHead());
        copy(model, "default").getArray().muli(2f);
        double[] adapted = Ref.run(model, ids);
        Block plain = model.mergeAndUnload();
        assertEquals(0.0, Ref.maxAbsDiff(adapted, Ref.run(plain, ids)), 1e-5);
        model.close();
    }

    @Test
    void onlyLinearAndEmbeddingModulesCanBeSaved() {
        try (PeftModel model = PeftModel.wrap(llama())) {
            PeftConfigException e = assertThrows(PeftConfigException.class, () -> model.addAdapter("x",
                    LoraConfig.builder().targetModules("q_proj").modulesToSave("mlp").build()));
            assertTrue(e.getMessage().contains("model.layers.0.mlp"), e.getMessage());
            model.addAdapter("emb", LoraConfig.builder().targetModules("q_proj").modulesToSave("embed_tokens").build());
            assertTrue(model.modules().get("model.embed_tokens") instanceof ModulesToSaveWrapper);
        }
    }
}
