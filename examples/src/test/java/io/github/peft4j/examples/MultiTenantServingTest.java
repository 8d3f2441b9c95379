package io.github.peft4j.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.github.peft4j.models.HfModels;
import io.github.peft4j.models.PretrainedModel;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MultiTenantServingTest {

    @TempDir
    Path tmp;

    @Test
    void eachRowGetsItsOwnAdapterAndASwapChangesOnlyThatTenant() {
        try (NDManager manager = NDManager.newBaseManager();
                PretrainedModel base = HfModels.load(Path.of("../assets/base-model"), manager)) {
            MultiTenantServing.Result r = MultiTenantServing.demo(base, tmp);
            for (int row = 0; row < 3; row++) {
                assertArrayEquals(r.alone()[row], r.mixed()[row], 1e-4f, "row " + row);
            }
            assertArrayEquals(r.swappedAlone()[0], r.afterSwap()[0], 1e-4f);
            assertArrayEquals(r.mixed()[1], r.afterSwap()[1], 1e-5f);
            assertArrayEquals(r.mixed()[2], r.afterSwap()[2], 1e-5f);
            assertTrue(maxDiff(r.mixed()[0], r.afterSwap()[0]) > 1e-3, "the swap changed nothing");
            assertTrue(maxDiff(r.mixed()[0], r.mixed()[2]) > 1e-3, "the adapter changed nothing");
        }
    }

    private static double maxDiff(float[] a, float[] b) {
        double d = 0;
        for (int i = 0; i < a.length; i++) {
            d = Math.max(d, Math.abs(a[i] - b[i]));
        }
        return d;
    }
}
