package io.github.peft4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.models.PretrainedModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 24's isolation matrix: every tuner type and init option ({@link TenantAdapters}) loaded
 * beside all the others on one base; each tenant's logits bit-identical to its logits alone on a
 * fresh base; every base parameter bit-identical after all are unloaded. Tuners that take one
 * adapter per batch row run in one mixed batch; DoRA (refused in mixed batches, as in PEFT) and
 * the prompt-learning ones, which change the sequence length, run one after the other.
 */
class MultiTenantIsolationTest {

    private static final Path MODEL = Path.of("../assets/base-model");
    private static final long[] ROW = {5, 17, 301, 42, 9, 77};
    /** Tenants that change the sequence (virtual tokens), and DoRA (as in PEFT), run alone, not in a mixed batch. */
    private static final Set<String> SEQUENTIAL = Set.of("dora", "prefix", "prefix-projection", "prompt", "ptuning-mlp",
            "ptuning-lstm");

    @TempDir
    static Path tmp;

    private static Map<String, Path> dirs;

    @BeforeAll
    static void saveTenants() {
        dirs = TenantAdapters.saveAll(MODEL, tmp);
    }

    private static NDList ids(NDManager m, int rows) {
        long[][] ids = new long[rows][];
        Arrays.fill(ids, ROW);
        return new NDList(m.create(ids));
    }

    /** @return the tenant's logits for one row, alone on a fresh base */
    private static float[] alone(String tenant) {
        try (NDManager m = NDManager.newBaseManager();
                PretrainedModel base = BaseModels.loadCausalLm(MODEL, m);
                PeftModel peft = PeftModel.fromPretrained(base.block(), dirs.get(tenant), tenant, false)) {
            return peft.forward(new ParameterStore(m, false), ids(m, 1), false).head().toFloatArray();
        }
    }

    @Test
    void everyTenantBesideAllOthersMatchesItselfAloneAndTheBaseIsUnchangedAfterUnload() {
        Map<String, float[]> expected = new LinkedHashMap<>();
        dirs.keySet().forEach(t -> expected.put(t, alone(t)));
        try (NDManager m = NDManager.newBaseManager(); PretrainedModel base = BaseModels.loadCausalLm(MODEL, m)) {
            Map<String, float[]> before = TenantAdapters.snapshot(base);
            ParameterStore ps = new ParameterStore(m, false);
            float[] baseLogits = base.block().forward(ps, ids(m, 1), false).head().toFloatArray();
            try (PeftModel peft = PeftModel.wrap(base.block())) {
                dirs.forEach((tenant, dir) -> peft.loadAdapter(dir, tenant, false));
                List<String> mixed = new ArrayList<>(dirs.keySet());
                mixed.removeAll(SEQUENTIAL);
                mixed.add("__base__");
                float[] rows = peft.forward(ps, ids(m, mixed.size()), mixed).head().toFloatArray();
                int width = rows.length / mixed.size();
                for (int i = 0; i < mixed.size(); i++) {
                    float[] row = Arrays.copyOfRange(rows, i * width, (i + 1) * width);
                    String t = mixed.get(i);
                    assertArrayEquals(t.equals("__base__") ? baseLogits : expected.get(t), row, 0f, t + " in a mixed batch");
                }
                for (String t : SEQUENTIAL) {
                    peft.setActiveAdapters(t);
                    assertArrayEquals(expected.get(t), peft.forward(ps, ids(m, 1), false).head().toFloatArray(), 0f, t);
                }
                for (String t : dirs.keySet()) {
                    assertFalse(Arrays.equals(baseLogits, expected.get(t)), t + " is not an identity");
                    peft.deleteAdapter(t);
                }
                assertEquals(Set.of(), peft.adapterNames());
            }
            Map<String, float[]> after = TenantAdapters.snapshot(base);
            assertEquals(before.keySet(), after.keySet());
            before.forEach((name, values) -> assertArrayEquals(values, after.get(name), 0f, name));
            assertArrayEquals(baseLogits, base.block().forward(ps, ids(m, 1), false).head().toFloatArray(), 0f);
        }
    }
}
