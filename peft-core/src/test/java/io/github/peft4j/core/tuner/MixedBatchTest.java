package io.github.peft4j.core.tuner;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.core.hooks.AdapterRouting;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MixedBatchTest {

    @Test
    void groupsRowsInOrderOfFirstAppearance() {
        Map<String, long[]> groups = MixedBatch.rowsByAdapter(new AdapterRouting(List.of("b", "a", "b", "__base__", "a")));
        assertEquals(List.of("b", "a", "__base__"), new ArrayList<>(groups.keySet()));
        assertArrayEquals(new long[] {0, 2}, groups.get("b"));
        assertArrayEquals(new long[] {1, 4}, groups.get("a"));
        assertArrayEquals(new long[] {3}, groups.get("__base__"));
    }

    @Test
    void eachRowGetsItsAdaptersResultInItsPlace() {
        try (NDManager m = NDManager.newBaseManager()) {
            // row r holds r in every element; adapter "x" adds 10, "y" multiplies by 100, base leaves it
            NDArray x = m.arange(5f).reshape(5, 1, 1).repeat(1, 2).repeat(2, 3);
            NDArray side = m.ones(new Shape(5, 1));
            List<String> names = List.of("y", "x", "__base__", "x", "y");
            List<Integer> seenRows = new ArrayList<>();
            NDArray out = MixedBatch.apply(new NDList(x, side), new AdapterRouting(names), (adapter, rows) -> {
                assertEquals(2, rows.size(), "every input is split");
                assertEquals(rows.get(0).getShape().get(0), rows.get(1).getShape().get(0));
                seenRows.add((int) rows.get(0).getShape().get(0));
                return new NDList(switch (adapter) {
                    case "x" -> rows.get(0).add(10f);
                    case "y" -> rows.get(0).mul(100f);
                    default -> rows.get(0);
                });
            }).singletonOrThrow();
            assertEquals(List.of(2, 2, 1), seenRows);
            assertEquals(new Shape(5, 2, 3), out.getShape());
            float[] expected = {0, 11, 2, 13, 400};
            float[] values = out.toFloatArray();
            for (int r = 0; r < 5; r++) {
                for (int k = 0; k < 6; k++) {
                    assertEquals(expected[r], values[r * 6 + k], 0f, "row " + r);
                }
            }
        }
    }

    @Test
    void oneAdapterForTheWholeBatchSkipsTheGather() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.arange(1f, 7f).reshape(3, 2);
            NDArray out = MixedBatch.apply(new NDList(x), new AdapterRouting(List.of("a", "a", "a")), (a, rows) -> {
                assertEquals(x, rows.head());
                return new NDList(rows.head().neg());
            }).singletonOrThrow();
            assertArrayEquals(new float[] {-1, -2, -3, -4, -5, -6}, out.toFloatArray());
        }
    }

    @Test
    void routingMustNameEveryRow() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.zeros(new Shape(3, 2));
            PeftCompatibilityException e = assertThrows(PeftCompatibilityException.class,
                    () -> MixedBatch.apply(new NDList(x), new AdapterRouting(List.of("a", "b")), (a, r) -> r));
            assertEquals("mixed batch: 2 adapter names for a batch of 3 rows; give exactly one name per row", e.getMessage());
        }
    }
}
