package io.github.peft4j.core.testtuner;

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
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.ToyModels;
import io.github.peft4j.core.hooks.AdapterRouting;
import io.github.peft4j.core.hooks.ForwardContext;
import io.github.peft4j.core.safetensors.SafetensorsFile;
import io.github.peft4j.core.tuner.ModulesToSaveWrapper;
import io.github.peft4j.core.tuner.TunerLayer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the tuner template gives a tuner built by the recipe alone ({@link DeltaConfig},
 * {@link DeltaLayer}, {@link DeltaMethod}, one services line): per-row routing, the disabled and
 * merged short-cuts, and {@code modules_to_save} — none of it written by the tuner.
 */
class TunerTemplateTest {

    private static final int DIM = 8;
    private static final int ROWS = 4;

    @TempDir
    Path tmp;

    private NDManager manager;
    private NDArray input;

    @BeforeEach
    void setUp() {
        manager = NDManager.newBaseManager();
        Engine.getInstance().setRandomSeed(5);
        input = manager.randomNormal(new Shape(ROWS, 3, DIM));
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    private PeftModel twoAdapters() {
        PeftModel model = PeftModel.create(ToyModels.llamaLike(manager, DIM, 2, 11),
                DeltaConfig.builder().targetModules("q_proj", "v_proj").r(2).scale(0.5).build(), "a");
        model.addAdapter("b", DeltaConfig.builder().targetModules("v_proj", "down_proj").r(3).scale(2).build());
        return model;
    }

    private float[] run(PeftModel model) {
        return model.forward(new ParameterStore(manager, false), new NDList(input), false).singletonOrThrow().toFloatArray();
    }

    private static float[] row(float[] all, int row) {
        int width = all.length / ROWS;
        return Arrays.copyOfRange(all, row * width, (row + 1) * width);
    }

    @Test
    void eachRowOfAMixedBatchIsItsAdapterAlone() {
        try (PeftModel model = twoAdapters()) {
            List<String> names = List.of("b", AdapterRouting.BASE, "a", "b");
            float[] mixed = model.forward(new ParameterStore(manager, false), new NDList(input), names)
                    .singletonOrThrow().toFloatArray();
            float[] base;
            try (PeftModel.DisabledAdapters off = model.disableAdapters()) {
                base = run(model);
            }
            model.setActiveAdapters("a");
            float[] a = run(model);
            model.setActiveAdapters("b");
            float[] b = run(model);
            Map<String, float[]> alone = Map.of("a", a, "b", b, AdapterRouting.BASE, base);
            // a row group of two against a batch of four: GEMM kernels may sum in another order by
            // batch size (MKL's AVX-512 path does), so equal up to float rounding, not bit for bit
            for (int r = 0; r < ROWS; r++) {
                assertArrayEquals(row(alone.get(names.get(r)), r), row(mixed, r), 1e-5f, "row " + r + " " + names.get(r));
            }
            assertFalse(Arrays.equals(row(a, 0), row(b, 0)), "the adapters differ, so routing is really tested");
            assertFalse(Arrays.equals(row(a, 0), row(base, 0)));
        }
    }

    @Test
    void theTemplateRefusesMixedBatchesInTrainingWhileMergedAndWithTheWrongRowCount() {
        try (PeftModel model = twoAdapters()) {
            ForwardContext routed = ForwardContext.empty().with(AdapterRouting.KEY,
                    new AdapterRouting(List.of("a", "b", "a", "b")));
            try (GradientCollector ignored = Engine.getInstance().newGradientCollector()) {
                PeftCompatibilityException training = assertThrows(PeftCompatibilityException.class,
                        () -> model.forward(new ParameterStore(manager, false), new NDList(input), true, routed.addTo(null)));
                assertTrue(training.getMessage().contains("inference"), training.getMessage());
            }
            PeftConfigException rows = assertThrows(PeftConfigException.class, () -> model.forward(
                    new ParameterStore(manager, false), new NDList(input), List.of("a", "b")));
            assertEquals("mixed batch: 2 adapter names for a batch of 4 rows; give exactly one name per row", rows.getMessage());
            model.merge(List.of("a"));
            PeftCompatibilityException merged = assertThrows(PeftCompatibilityException.class, () -> model.forward(
                    new ParameterStore(manager, false), new NDList(input), List.of("a", "b", "a", "b")));
            assertTrue(merged.getMessage().contains("[a]") && merged.getMessage().contains("unmerge()"), merged.getMessage());
        }
    }

    @Test
    void mergedAndDisabledShortCutsMatchTheUnmergedForward() {
        try (PeftModel model = twoAdapters()) {
            model.setActiveAdapters("a", "b");
            float[] both = run(model);
            model.merge();
            assertEquals(List.of("a", "b"), model.tunerLayers().stream()
                    .filter(l -> l.adapterNames().containsAll(List.of("a", "b"))).findFirst().orElseThrow().mergedAdapters());
            assertArrayEquals(both, run(model), 1e-4f, "merged = unmerged (float rounding of outputs near 16)");
            model.unmerge();
            assertArrayEquals(both, run(model), 1e-4f);
            float[] base;
            try (PeftModel.DisabledAdapters off = model.disableAdapters()) {
                base = run(model);
            }
            model.deleteAdapter("a");
            model.deleteAdapter("b");
            assertArrayEquals(base, run(model), 0f, "disabled = the base alone, bit for bit");
        }
    }

    @Test
    void modulesToSaveWorkForATunerThatDoesNothingForThem() throws Exception {
        DeltaConfig config = DeltaConfig.builder().targetModules("q_proj").modulesToSave("down_proj").build();
        try (PeftModel model = PeftModel.create(ToyModels.llamaLike(manager, DIM, 2, 11), config)) {
            assertTrue(model.modules().get("model.layers.1.mlp.down_proj") instanceof ModulesToSaveWrapper);
            Map<String, Parameter> params = model.adapterParameters("default");
            assertTrue(params.containsKey("model.layers.1.mlp.down_proj.modules_to_save.default.weight"), params.keySet().toString());
            Parameter head = model.modules().parameters().get("model.layers.1.mlp.down_proj.base_layer.weight");
            float[] headBefore = head.getArray().toFloatArray();
            assertFalse(head.requiresGradient(), "the original head stays frozen");
            assertTrue(params.get("model.layers.1.mlp.down_proj.modules_to_save.default.weight").requiresGradient());

            // one gradient step on the copy changes the output; the original head is untouched
            float[] before = run(model);
            NDArray copy = params.get("model.layers.1.mlp.down_proj.modules_to_save.default.weight").getArray();
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray out = model.forward(new ParameterStore(manager, false), new NDList(input), true).singletonOrThrow();
                gc.backward(out.sum());
            }
            copy.subi(copy.getGradient().mul(0.1f));
            float[] after = run(model);
            assertFalse(Arrays.equals(before, after));
            assertArrayEquals(headBefore, head.getArray().toFloatArray(), 0f);

            model.save(tmp);
            try (SafetensorsFile file = SafetensorsFile.open(tmp.resolve("adapter_model.safetensors"))) {
                assertTrue(file.names().contains("base_model.model.model.layers.1.mlp.down_proj.weight"), file.names().toString());
                assertArrayEquals(copy.toFloatArray(), file.load("base_model.model.model.layers.1.mlp.down_proj.weight", manager).toFloatArray(), 0f);
            }
            try (PeftModel loaded = PeftModel.fromPretrained(ToyModels.llamaLike(manager, DIM, 2, 11), tmp)) {
                assertArrayEquals(after, run(loaded), 0f, "loaded = saved, bit for bit");
                List<String> wrapped = loaded.tunerLayers().stream().map(TunerLayer::getClass).map(Class::getSimpleName)
                        .distinct().sorted().collect(Collectors.toList());
                assertEquals(List.of("DeltaLayer", "ModulesToSaveWrapper"), wrapped);
            }
        }
    }
}
