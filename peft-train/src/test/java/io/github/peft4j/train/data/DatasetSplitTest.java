package io.github.peft4j.train.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.github.peft4j.core.PeftConfigException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class DatasetSplitTest {

    @Test
    void splitIsDeterministicDisjointAndComplete() {
        List<Integer> items = IntStream.range(0, 101).boxed().toList();
        DatasetSplit.Split<Integer> a = DatasetSplit.split(items, 0.1, 7);
        DatasetSplit.Split<Integer> b = DatasetSplit.split(items, 0.1, 7);
        assertEquals(a, b);
        assertEquals(11, a.eval().size()); // ceil(0.1 * 101)
        assertEquals(90, a.train().size());
        Set<Integer> all = new HashSet<>(a.train());
        all.addAll(a.eval());
        assertEquals(101, all.size());
        // both parts keep input order
        assertEquals(new ArrayList<>(a.train()).stream().sorted().toList(), a.train());
        assertNotEquals(a.eval(), DatasetSplit.split(items, 0.1, 8).eval());
        assertEquals(items, DatasetSplit.split(items, 0.0, 1).train());
        assertThrows(PeftConfigException.class, () -> DatasetSplit.split(List.of(1), 0.5, 1));
    }
}
