package io.github.peft4j.adapters;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import io.github.peft4j.core.PeftConfig;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.module.ModuleTree;
import io.github.peft4j.core.safetensors.SafetensorsFile;
import io.github.peft4j.core.testmodels.TinyBert;
import io.github.peft4j.core.testmodels.TinyTraining;
import io.github.peft4j.core.testmodels.TunerChecks;
import io.github.peft4j.core.tuner.ModulesToSaveWrapper;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What every tuner of this module promises for {@code modules_to_save = ["classifier"]} on TinyBert. */
public final class ModulesToSaveChecks {

    private static final String COPY = "classifier.modules_to_save.default.";

    private ModulesToSaveChecks() {}

    /**
     * Trains a few steps, then checks that only the adapter's tensors and its copy of the classifier
     * changed, that the file holds the copy as {@code base_model.model.classifier.weight} / {@code .bias}
     * next to the adapter's own tensors, and that loading it back gives identical outputs.
     *
     * @param config a config of the tuner with {@code modules_to_save = ["classifier"]}
     * @param adapterTensors how many tensors the adapter has besides the classifier copy
     * @param manager the test's manager
     * @param dir an empty directory to save into
     */
    public static void trainsSavesAndLoadsTheClassifierCopy(PeftConfig config, int adapterTensors, NDManager manager, Path dir) {
        NDArray ids = TinyTraining.signalTokens(manager, 4, 8, 16, 9).ids();
        float[] trained;
        try (PeftModel model = PeftModel.create(TinyBert.create(manager, TinyBert.Dims.small(), 41), config)) {
            assertInstanceOf(ModulesToSaveWrapper.class, model.modules().get("classifier"));
            Map<String, Parameter> adapter = model.adapterParameters("default");
            assertEquals(adapterTensors + 2, adapter.size(), adapter.keySet().toString());
            Map<String, Parameter> base = new LinkedHashMap<>(ModuleTree.of(model.baseModel()).parameters());
            base.values().removeAll(adapter.values());
            Map<String, float[]> baseBefore = TunerChecks.snapshot(base);
            Map<String, float[]> adapterBefore = TunerChecks.snapshot(adapter);

            TinyTraining.Dataset data = TinyTraining.signalTokens(manager, 64, 8, 16, 11);
            TinyTraining.Adam adam = new TinyTraining.Adam(model.trainableParameters(), 0.01f, manager);
            for (int step = 0; step < 5; step++) {
                TinyTraining.step(model, data, adam);
            }
            for (Map.Entry<String, Parameter> e : base.entrySet()) {
                assertArrayEquals(baseBefore.get(e.getKey()), e.getValue().getArray().toFloatArray(), 0f, e.getKey());
            }
            for (String copy : List.of(COPY + "weight", COPY + "bias")) {
                assertFalse(Arrays.equals(adapterBefore.get(copy), adapter.get(copy).getArray().toFloatArray()), copy + " trains");
            }
            assertTrue(adapter.entrySet().stream().anyMatch(e -> !e.getKey().startsWith(COPY)
                    && !Arrays.equals(adapterBefore.get(e.getKey()), e.getValue().getArray().toFloatArray())),
                    "the adapter's own tensors train too");
            trained = TunerChecks.run(model, ids);
            model.save(dir);
        }
        try (SafetensorsFile file = SafetensorsFile.open(dir.resolve("adapter_model.safetensors"))) {
            assertEquals(adapterTensors + 2, file.names().size());
            assertArrayEquals(new long[] {2, 16}, file.info("base_model.model.classifier.weight").shape());
            assertArrayEquals(new long[] {2}, file.info("base_model.model.classifier.bias").shape());
            assertEquals(2, file.names().stream().filter(n -> n.contains("classifier")).count(), file.names().toString());
        }
        try (PeftModel loaded = PeftModel.fromPretrained(TinyBert.create(manager, TinyBert.Dims.small(), 41), dir)) {
            assertInstanceOf(ModulesToSaveWrapper.class, loaded.modules().get("classifier"));
            assertArrayEquals(trained, TunerChecks.run(loaded, ids), 0f);
        }
    }
}
