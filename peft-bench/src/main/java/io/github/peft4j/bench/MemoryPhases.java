package io.github.peft4j.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.management.JMException;
import javax.management.ObjectName;

/**
 * Resident memory at named points of a benchmark run, for locating where a training step's memory
 * goes: VmRSS and VmHWM, anonymous and file-backed resident pages ({@code /proc/self/smaps_rollup}),
 * the Java heap in use, and, when {@code peft-bench/peer-probe/mallinfo_jni.c} is built and named by
 * {@code -Dpeft4j.bench.mallinfo=/path/libmallinfo_jni.so}, glibc's bytes in use and arena size
 * ({@code mallinfo2}), with {@code malloc_peak.c} preloaded also the live malloc bytes and their peak
 * between readings (and a map of the heap at phases matching {@code -Dpeft4j.bench.heapmap=REGEX}),
 * and under {@code -XX:NativeMemoryTracking=summary} the JVM's own malloc'd bytes; each reading also
 * counts the arrays of a watched manager. Off unless {@code -Dpeft4j.bench.phases=true}; the PyTorch side is
 * {@code peft-bench/peer-probe/lora_ref_phases.py}, which reads the same figures at the same points.
 *
 * <pre>{@code
 * MemoryPhases.mark("after_model");           // no-op unless -Dpeft4j.bench.phases=true
 * result.put("rss_phases", MemoryPhases.readings());
 * }</pre>
 */
public final class MemoryPhases {

    private static final boolean ENABLED = Boolean.getBoolean("peft4j.bench.phases");
    private static final boolean MALLINFO = ENABLED && loadMallinfo();
    private static final List<Map<String, Object>> READINGS = new ArrayList<>();
    private static final Pattern HEAP_MAP = Pattern.compile(System.getProperty("peft4j.bench.heapmap", "^$"));
    private static NDManager watched;

    private MemoryPhases() {}

    /** @return whether readings are taken */
    public static boolean enabled() {
        return ENABLED;
    }

    /** @param root a manager whose arrays (its sub-managers' included) each reading counts */
    public static void watch(NDManager root) {
        watched = root;
    }

    /** @param phase the name of the point reached; records nothing unless enabled */
    public static void mark(String phase) {
        if (!ENABLED) {
            return;
        }
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("phase", phase);
        r.put("rss", ProcessStats.rssMib());
        r.put("hwm", ProcessStats.peakRssMib());
        Map<String, Double> rollup = rollupMib();
        r.put("anon", rollup.get("Anonymous:"));
        r.put("file", rollup.get("Rss:") - rollup.get("Anonymous:"));
        Runtime rt = Runtime.getRuntime();
        r.put("java_heap_used", (rt.totalMemory() - rt.freeMemory()) / 1048576.0);
        r.put("java_heap_committed", rt.totalMemory() / 1048576.0);
        if (MALLINFO) {
            long[] m = mallinfo();
            r.put("malloc_arena", m[0] / 1048576.0);
            r.put("malloc_mmap", m[1] / 1048576.0);
            r.put("malloc_in_use", m[2] / 1048576.0);
            r.put("malloc_free", m[3] / 1048576.0);
            if (HEAP_MAP.matcher(phase).find()) {
                r.put("heap_map", heapMap());
            }
            if (m[4] >= 0) {
                r.put("live", m[4] / 1048576.0);
                r.put("live_peak", m[5] / 1048576.0);
            }
        }
        if (watched != null && watched.isOpen()) {
            List<NDArray> arrays = watched.getManagedArrays();
            long bytes = 0;
            for (NDArray a : arrays) {
                if (!a.isReleased()) {
                    bytes += a.size() * a.getDataType().getNumOfBytes();
                }
            }
            r.put("djl_arrays", arrays.size());
            r.put("djl_array_mib", bytes / 1048576.0);
        }
        double jvmMalloc = jvmMallocMib();
        if (!Double.isNaN(jvmMalloc)) {
            r.put("jvm_malloc", jvmMalloc);
        }
        READINGS.add(r);
    }

    /** @return the readings so far, in order */
    public static List<Map<String, Object>> readings() {
        return List.copyOf(READINGS);
    }

    private static final Pattern NMT_MALLOC =
            Pattern.compile("Total: [^\\n]*\\n\\s*malloc: (\\d+)KB");

    /** The JVM's own malloc'd bytes (NMT's total), when it runs with -XX:NativeMemoryTracking=summary. */
    private static double jvmMallocMib() {
        try {
            Object text = ManagementFactory.getPlatformMBeanServer().invoke(
                    new ObjectName("com.sun.management:type=DiagnosticCommand"), "vmNativeMemory",
                    new Object[] {new String[] {"summary"}}, new String[] {String[].class.getName()});
            Matcher m = NMT_MALLOC.matcher(String.valueOf(text));
            return m.find() ? Long.parseLong(m.group(1)) / 1024.0 : Double.NaN;
        } catch (JMException | RuntimeException e) {
            return Double.NaN;
        }
    }

    private static Map<String, Double> rollupMib() {
        Map<String, Double> out = new LinkedHashMap<>();
        out.put("Rss:", Double.NaN);
        out.put("Anonymous:", Double.NaN);
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/smaps_rollup"))) {
                String[] f = line.trim().split("\\s+");
                if (out.containsKey(f[0])) {
                    out.put(f[0], Double.parseDouble(f[1]) / 1024.0);
                }
            }
        } catch (IOException e) {
            // not Linux: the readings stay NaN
        }
        return out;
    }

    private static boolean loadMallinfo() {
        String path = System.getProperty("peft4j.bench.mallinfo");
        if (path == null) {
            return false;
        }
        System.load(path);
        return true;
    }

    /** @return glibc's mallinfo2 (arena, hblkhd, uordblks, fordblks), then malloc_peak.c's live bytes and peak */
    private static native long[] mallinfo();

    /** @return malloc_peak.c's map of the main heap and its stats, or null when it is not preloaded */
    private static native String heapMap();
}
