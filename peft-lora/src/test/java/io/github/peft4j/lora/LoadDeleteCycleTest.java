package io.github.peft4j.lora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.ParameterStore;
import io.github.peft4j.core.PeftFormatException;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.ToyModels;
import io.github.peft4j.core.io.AdapterConfigJson;
import io.github.peft4j.core.io.AdapterDirectory;
import io.github.peft4j.core.safetensors.SafetensorsFile;
import io.github.peft4j.core.safetensors.SafetensorsWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a server does thousands of times (issue 24's serving soak): load an adapter, run a mixed
 * batch through it, delete it. Every native tensor it made is released: the live arrays of the
 * base model's manager and of the adapters' manager return exactly to their counts before the
 * cycles, also when a load is refused halfway (a NaN tensor) or a forward fails.
 */
class LoadDeleteCycleTest {

    private static final int CYCLES = 40;

    @TempDir
    Path tmp;

    private NDManager manager;
    private PeftModel model;
    private Path adapter;

    @BeforeEach
    void setUp() {
        manager = NDManager.newBaseManager();
        model = PeftModel.create(ToyModels.causalLm(manager, 13, 16, 2, 5), LoraConfig.builder()
                .r(2).initLoraWeights(false).targetModules("q_proj", "v_proj").build(), "source");
        adapter = tmp.resolve("source");
        model.save(tmp, List.of("source"));
        model.deleteAdapter("source");
    }

    @AfterEach
    void tearDown() {
        model.close();
        manager.close();
    }

    @Test
    void loadForwardDeleteLeavesNoArrayBehind() {
        int base = manager.getManagedArrays().size();
        assertEquals(0, model.manager().getManagedArrays().size());
        for (int i = 0; i < CYCLES; i++) {
            String name = "hot" + i;
            model.loadAdapter(adapter, name, false);
            assertEquals(8, model.manager().getManagedArrays().size(), "2 layers x (q, v) x (A, B)");
            forward(List.of(name, "__base__"));
            model.deleteAdapter(name);
            assertEquals(base, manager.getManagedArrays().size(), "base manager after cycle " + i);
            assertEquals(0, model.manager().getManagedArrays().size(), "adapter manager after cycle " + i);
        }
    }

    @Test
    void refusedLoadsAndFailedForwardsLeaveNoArrayBehind() throws Exception {
        Path bad = withNaN(adapter, tmp.resolve("bad"));
        int base = manager.getManagedArrays().size();
        for (int i = 0; i < CYCLES; i++) {
            String name = "bad" + i;
            assertThrows(PeftFormatException.class, () -> model.loadAdapter(bad, name, false));
            assertEquals(List.of(), List.copyOf(model.adapterNames()));
            model.loadAdapter(adapter, name, false);
            assertThrows(RuntimeException.class, () -> forward(List.of(name)), "one name for two rows");
            model.deleteAdapter(name);
            assertEquals(base, manager.getManagedArrays().size(), "base manager after cycle " + i);
            assertEquals(0, model.manager().getManagedArrays().size(), "adapter manager after cycle " + i);
        }
    }

    /** A batch of two rows routed per row, in its own manager and parameter store, as a request runs. */
    private void forward(List<String> routing) {
        try (NDManager request = manager.newSubManager()) {
            NDArray ids = request.arange(0f, 6f, 1f, DataType.INT64).reshape(2, 3);
            NDList out = model.forward(new ParameterStore(request, false), new NDList(ids), routing);
            out.head().sum().getFloat();
        }
    }

    /** A copy of an adapter directory whose first tensor holds a NaN. */
    private static Path withNaN(Path from, Path to) throws Exception {
        Files.createDirectories(to);
        Files.copy(from.resolve(AdapterConfigJson.FILE_NAME), to.resolve(AdapterConfigJson.FILE_NAME));
        try (NDManager m = NDManager.newBaseManager();
                SafetensorsFile file = SafetensorsFile.open(from.resolve(AdapterDirectory.WEIGHTS_FILE))) {
            Map<String, NDArray> tensors = new LinkedHashMap<>(file.loadAll(m));
            Map.Entry<String, NDArray> first = tensors.entrySet().iterator().next();
            float[] values = first.getValue().toFloatArray();
            values[0] = Float.NaN;
            tensors.put(first.getKey(), m.create(values, first.getValue().getShape()));
            SafetensorsWriter.write(to.resolve(AdapterDirectory.WEIGHTS_FILE), tensors);
        }
        return to;
    }
}
