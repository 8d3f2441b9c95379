package io.github.peft4j.lora.merge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** TIES, DARE and magnitude pruning on plain vectors (moved from CombinationTest with the merge package). */
class TaskMergingTest {

    private NDManager manager;

    @BeforeEach
    void setUp() {
        manager = NDManager.newBaseManager();
        Engine.getInstance().setRandomSeed(31);
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    @Test
    void tiesAndMagnitudePruningByHand() {
        List<double[]> tasks = List.of(new double[] {1, -2, 3, -4}, new double[] {-1, 2, 0.5, 4});
        double[] w = {1, 0.5};
        // density 0.5 keeps two entries each: [0, 0, 3, -4] and [0, 2, 0, 4]; the majority sign (by sum) is + everywhere
        assertArrayEquals(new double[] {0, 1, 3, 2},
                TaskMerging.merge(TaskMerging.Method.TIES, tasks, w, 0.5, false, manager), 1e-15);
        assertArrayEquals(new double[] {0, 1, 3, -2},
                TaskMerging.merge(TaskMerging.Method.MAGNITUDE_PRUNE, tasks, w, 0.5, false, manager), 1e-15);
        assertArrayEquals(new double[] {0.5, -1, 3.25, -2},
                TaskMerging.merge(TaskMerging.Method.TASK_ARITHMETIC, tasks, w, null, false, manager), 1e-15);
        // by frequency of signs: [1, -1, 1, -1] and [-1, 1, 1, 1] tie at 0 (so +) except entry 2 (+2, both agree: averaged)
        assertArrayEquals(new double[] {1, 1, (3 + 0.25) / 2, 2},
                TaskMerging.merge(TaskMerging.Method.TIES, tasks, w, 1.0, true, manager), 1e-15);
    }

    @Test
    void dareKeepsEntriesWithProbabilityDensityAndRescales() {
        double[] t = new double[2000];
        java.util.Arrays.fill(t, 1.0);
        double[] out = TaskMerging.merge(TaskMerging.Method.DARE_LINEAR, List.of(t), new double[] {3}, 0.25, false, manager);
        long kept = java.util.Arrays.stream(out).filter(v -> v != 0).count();
        assertTrue(java.util.Arrays.stream(out).allMatch(v -> v == 0 || v == 12.0), "kept entries are w·t/density");
        assertTrue(kept > 400 && kept < 600, "about a quarter kept: " + kept);
    }
}
