package io.github.peft4j.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;

/**
 * Linux process figures from {@code /proc/self}, read the way the peer reads them: peak and current
 * resident set size, CPU time and minor page faults, and the BLAS / libtorch libraries mapped in.
 *
 * <pre>{@code
 * double peakMib = ProcessStats.peakRssMib();      // VmHWM
 * ProcessStats.Cpu before = ProcessStats.cpu();
 * }</pre>
 */
public final class ProcessStats {

    // USER_HZ is 100 on every Linux the JVM supports for x86-64 and aarch64
    private static final double TICKS_PER_SECOND = 100.0;

    private ProcessStats() {}

    /** @return the peak resident set size (VmHWM) in MiB, NaN where /proc is missing */
    public static double peakRssMib() {
        return statusKib("VmHWM:") / 1024.0;
    }

    /** @return the current resident set size (VmRSS) in MiB, NaN where /proc is missing */
    public static double rssMib() {
        return statusKib("VmRSS:") / 1024.0;
    }

    private static double statusKib(String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(key)) {
                    return Double.parseDouble(line.substring(key.length()).trim().split("\\s+")[0]);
                }
            }
            return Double.NaN;
        } catch (IOException e) {
            return Double.NaN;
        }
    }

    /**
     * CPU time and minor faults of the whole process so far.
     *
     * @param userSeconds user CPU seconds
     * @param systemSeconds system CPU seconds
     * @param minorFaults minor page faults
     */
    public record Cpu(double userSeconds, double systemSeconds, long minorFaults) {}

    /** @return the process's CPU time and minor faults ({@code /proc/self/stat}); zeros where missing */
    public static Cpu cpu() {
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"));
            // fields after the command name, which may contain spaces: state is field 3
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
            long minflt = Long.parseLong(f[10 - 3]);
            long utime = Long.parseLong(f[14 - 3]);
            long stime = Long.parseLong(f[15 - 3]);
            return new Cpu(utime / TICKS_PER_SECOND, stime / TICKS_PER_SECOND, minflt);
        } catch (IOException | RuntimeException e) {
            return new Cpu(0, 0, 0);
        }
    }

    /** @return the mapped shared objects whose names mention blas, mkl, gomp/iomp or torch, sorted */
    public static List<String> nativeLibraries() {
        TreeSet<String> libs = new TreeSet<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
                String[] parts = line.trim().split("\\s+");
                if (parts.length >= 6) {
                    String file = parts[5];
                    String name = file.substring(file.lastIndexOf('/') + 1);
                    if (name.contains("blas") || name.contains("mkl") || name.contains("omp")
                            || name.startsWith("libtorch") || name.startsWith("libc10")) {
                        libs.add(file);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return List.copyOf(libs);
    }
}
