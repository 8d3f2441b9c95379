package io.github.peft4j.train.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.github.peft4j.core.testing.ResidentMemory;
import org.junit.jupiter.api.Test;

/** The least-squares growth rate of {@link MemorySeries}. */
class MemorySeriesTest {

    @Test
    void slopeOfALineThroughAWobbleThatAveragesOut() {
        MemorySeries series = new MemorySeries();
        // VmRSS grows 3 KiB per step under a +-4 MiB wobble symmetric about the middle reading; the heap is flat
        long[] wobble = {4096, -4096, 0, -4096, 4096};
        for (int i = 0; i < wobble.length; i++) {
            long step = 1_000 + 500L * i;
            series.add(step, new ResidentMemory(250_000 + 3 * step + wobble[i], 57_344, 10_000));
        }
        assertEquals(5, series.size());
        assertEquals(3 * 1024, series.rssBytesPerStep(), 1e-9);
        assertEquals(0, series.heapUsedBytesPerStep(), 1e-9);
    }

    @Test
    void heapSlopeInBytesPerStep() {
        MemorySeries series = new MemorySeries();
        series.add(200, new ResidentMemory(300_000, 57_344, 10_000));
        series.add(400, new ResidentMemory(300_000, 57_344, 10_050));
        assertEquals(50 * 1024 / 200.0, series.heapUsedBytesPerStep(), 1e-9);
        assertEquals(0, series.rssBytesPerStep(), 1e-9);
    }

    @Test
    void oneReadingHasNoSlope() {
        MemorySeries series = new MemorySeries();
        series.add(200, new ResidentMemory(300_000, 57_344, 10_000));
        assertThrows(IllegalStateException.class, series::rssBytesPerStep);
    }
}
