package io.github.peft4j.train.testing;

import io.github.peft4j.core.testing.ResidentMemory;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToLongFunction;

/**
 * Settled memory readings ({@link ResidentMemory#afterGc()}) against the training step, and their
 * growth rate: the least-squares slope in bytes per step. A leak grows memory by a fixed amount per
 * step, so over a plateau it shows as a slope however the single readings wobble (glibc's arenas
 * and G1's committed heap move resident memory by a few MiB either way between readings).
 *
 * <pre>{@code
 * MemorySeries series = new MemorySeries();
 * series.add(step, ResidentMemory.afterGc());   // every N steps after the warm-up
 * double leak = series.rssBytesPerStep();
 * }</pre>
 */
public final class MemorySeries {

    private record Reading(long step, ResidentMemory memory) {}

    private final List<Reading> readings = new ArrayList<>();

    /**
     * @param step the training step the reading follows
     * @param memory the reading
     */
    public void add(long step, ResidentMemory memory) {
        readings.add(new Reading(step, memory));
    }

    /** @return the number of readings */
    public int size() {
        return readings.size();
    }

    /** @return the growth of VmRSS, bytes per step */
    public double rssBytesPerStep() {
        return slope(ResidentMemory::rssKib);
    }

    /** @return the growth of the Java heap in use after a GC, bytes per step */
    public double heapUsedBytesPerStep() {
        return slope(ResidentMemory::heapUsedKib);
    }

    /** The least-squares slope of a figure in KiB against the step, in bytes per step. */
    private double slope(ToLongFunction<ResidentMemory> kib) {
        if (readings.size() < 2) {
            throw new IllegalStateException("a slope needs two readings, got " + readings.size());
        }
        double meanStep = readings.stream().mapToLong(Reading::step).average().orElseThrow();
        double meanKib = readings.stream().mapToLong(r -> kib.applyAsLong(r.memory())).average().orElseThrow();
        double covariance = 0;
        double variance = 0;
        for (Reading r : readings) {
            double dx = r.step() - meanStep;
            covariance += dx * (kib.applyAsLong(r.memory()) - meanKib);
            variance += dx * dx;
        }
        return covariance / variance * 1024;
    }

    /** @return one line per reading: step, VmRSS, heap committed and heap used (KiB) */
    @Override
    public String toString() {
        StringBuilder out = new StringBuilder(String.format("%8s %12s %12s %12s%n", "step", "VmRSS KiB", "committed",
                "heap used"));
        for (Reading r : readings) {
            out.append(String.format("%8d %,12d %,12d %,12d%n", r.step(), r.memory().rssKib(),
                    r.memory().heapCommittedKib(), r.memory().heapUsedKib()));
        }
        return out.toString();
    }
}
