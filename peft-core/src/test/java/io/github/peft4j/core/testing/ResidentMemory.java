package io.github.peft4j.core.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * This JVM's memory after a full GC, split where a leak would show: the Java heap still in use, and
 * resident memory outside the Java heap (VmRSS minus the committed heap: native tensors, malloc,
 * the JIT, thread stacks). Shared by the long-running tests of every module (training and serving soaks).
 *
 * <p>Why not VmRSS right after {@code System.gc()}: since JDK 16, G1 hands the regions a full GC
 * freed back to the OS on a background thread, after {@code System.gc()} has returned. Read at
 * once, VmRSS still holds them: on the serving soak it fell by 120 to 140 MiB within the next
 * second, depending on how far G1 had grown the heap (its initial size is 1/64 of RAM) since the
 * last collection. The soak's first long run compared such readings and reported +136 MiB.
 * {@link #afterGc()} waits until VmRSS and the committed heap have settled.
 *
 * <pre>{@code
 * ResidentMemory warm = ResidentMemory.afterGc();
 * ... load ...
 * ResidentMemory end = ResidentMemory.afterGc();
 * long nativeGrowthKib = end.outsideHeapKib() - warm.outsideHeapKib();
 * }</pre>
 *
 * @param rssKib VmRSS
 * @param heapCommittedKib the Java heap G1 holds
 * @param heapUsedKib the Java heap in use after the GC
 */
public record ResidentMemory(long rssKib, long heapCommittedKib, long heapUsedKib) {

    private static final long SETTLED_KIB = 2 << 10;
    private static final int MAX_WAITS = 40;

    /** @return resident memory outside the Java heap */
    public long outsideHeapKib() {
        return rssKib - heapCommittedKib;
    }

    /** @return the figures after a full GC, once VmRSS moved by less than 2 MiB in 250 ms (at most 10 s) */
    public static ResidentMemory afterGc() {
        System.gc();
        ResidentMemory last = read();
        for (int i = 0; i < MAX_WAITS; i++) {
            sleep();
            ResidentMemory now = read();
            if (Math.abs(now.rssKib - last.rssKib) < SETTLED_KIB && now.heapCommittedKib == last.heapCommittedKib) {
                return now;
            }
            last = now;
        }
        return last;
    }

    /** @return the figures now, with heap figures taken on both sides of the VmRSS reading agreeing */
    private static ResidentMemory read() {
        while (true) {
            MemoryUsage before = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
            long rss = vmRssKib();
            MemoryUsage after = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
            if (before.getCommitted() == after.getCommitted()) {
                return new ResidentMemory(rss, after.getCommitted() >> 10, Math.min(before.getUsed(), after.getUsed()) >> 10);
            }
        }
    }

    private static long vmRssKib() {
        try {
            return Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("VmRSS:"))
                    .map(l -> Long.parseLong(l.replaceAll("\\D", ""))).findFirst().orElseThrow();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(250);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the heap to settle", e);
        }
    }

    @Override
    public String toString() {
        return String.format("VmRSS %,d KiB (heap committed %,d, used %,d; outside the heap %,d)", rssKib,
                heapCommittedKib, heapUsedKib, outsideHeapKib());
    }
}
