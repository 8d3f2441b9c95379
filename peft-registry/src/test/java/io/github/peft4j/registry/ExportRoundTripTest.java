package io.github.peft4j.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.ToyModels;
import io.github.peft4j.core.testtuner.DeltaConfig;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** push → export → {@code PeftModel.fromPretrained}: the exported directory computes the same outputs, bit for bit. */
class ExportRoundTripTest {

    private static final int DIM = 8;

    @TempDir
    Path tmp;

    @Test
    void exportedAdapterLoadsWithEqualOutputs() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(3);
            NDArray input = manager.randomNormal(new Shape(2, 3, DIM));
            float[] trained;
            float[] base;
            try (PeftModel model = PeftModel.create(ToyModels.llamaLike(manager, DIM, 2, 11),
                    DeltaConfig.builder().targetModules("q_proj", "v_proj").r(2).scale(0.5).build())) {
                trained = forward(model, input, manager);
                try (PeftModel.DisabledAdapters off = model.disableAdapters()) {
                    base = forward(model, input, manager);
                }
                model.save(tmp.resolve("trained"));
            }
            assertFalse(Arrays.equals(base, trained), "the adapter changes the output, so equality below means something");

            AdapterRegistry registry = AdapterRegistry.open(tmp.resolve("registry"));
            registry.push("support", tmp.resolve("trained"), Lineage.none());
            registry.export("support:1", tmp.resolve("exported"));
            try (PeftModel loaded = PeftModel.fromPretrained(ToyModels.llamaLike(manager, DIM, 2, 11), tmp.resolve("exported"))) {
                assertArrayEquals(trained, forward(loaded, input, manager), 0f);
            }
        }
    }

    private static float[] forward(PeftModel model, NDArray input, NDManager manager) {
        return model.forward(new ParameterStore(manager, false), new NDList(input), false).singletonOrThrow().toFloatArray();
    }
}
