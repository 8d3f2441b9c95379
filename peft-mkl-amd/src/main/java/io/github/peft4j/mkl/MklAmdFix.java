package io.github.peft4j.mkl;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes the Intel oneMKL that DJL's libtorch CPU build links statically take its AVX2/AVX-512 kernels on
 * AMD CPUs, inside the JVM, with no {@code LD_PRELOAD}. MKL picks its kernels after asking
 * {@code mkl_serv_intel_cpu_true()}; on an AMD CPU the answer is "no" and every SGEMM runs MKL's generic
 * code (1024³: 57 against 103 GFLOP/s on a Zen 4 EPYC, docs/benchmarks.md). A small native helper
 * defining that function is loaded into the process's global symbol scope before libtorch, so libtorch's
 * calls resolve to it; MKL then dispatches on the CPU's actual features.
 *
 * <p>It runs by itself: {@link MklEarlyHook} is an {@code ai.djl.engine.EngineProvider}, and DJL creates
 * every provider before it loads any engine's native library. It is a no-op on Intel CPUs, on platforms
 * other than linux-x86_64, where the build had no C compiler (the helper is then absent) and where the
 * helper cannot load; it logs why at debug level and never throws. Opt out with
 * {@code -Dpeft4j.mkl.amdFix=false} or {@code PEFT4J_MKL_AMD_FIX=false}.
 *
 * <pre>{@code
 * MklAmdFix.Status status = MklAmdFix.status();   // APPLIED on an AMD linux-x86_64 host
 * NDManager.newBaseManager();                     // libtorch loads
 * int branch = MklAmdFix.codeBranch();            // 0 = MKL's generic path, > 0 = vector kernels
 * }</pre>
 */
public final class MklAmdFix {

    /** System property that turns the fix off when {@code false} (or {@code 0}, {@code off}, {@code no}). */
    public static final String OPT_OUT_PROPERTY = "peft4j.mkl.amdFix";

    /** Environment variable with the same meaning as {@link #OPT_OUT_PROPERTY}; the property wins. */
    public static final String OPT_OUT_ENV = "PEFT4J_MKL_AMD_FIX";

    private static final Logger LOG = LoggerFactory.getLogger(MklAmdFix.class);

    /** What {@link #apply()} did. */
    public enum Status {
        /** {@link #apply()} has not run yet (DJL's engine registry was not touched). */
        NOT_ATTEMPTED,
        /** The helper is in the global symbol scope: MKL will see an Intel CPU. */
        APPLIED,
        /** Opted out through {@link #OPT_OUT_PROPERTY} or {@link #OPT_OUT_ENV}. */
        DISABLED,
        /** Not an AMD CPU (Intel's MKL already takes its fast path there). */
        NOT_AMD,
        /** Not linux-x86_64, the only platform whose libtorch links MKL statically. */
        UNSUPPORTED_PLATFORM,
        /** The build had no C compiler, so the helper is not on the classpath. */
        HELPER_MISSING,
        /** The helper is there but did not load or could not join the global scope. */
        LOAD_FAILED
    }

    private static Status status = Status.NOT_ATTEMPTED;

    private MklAmdFix() {}

    /**
     * Applies the fix once per JVM; later calls return the first outcome. Has an effect only before
     * libtorch is loaded, which is why {@link MklEarlyHook} calls it from DJL's engine discovery.
     *
     * @return what was done
     */
    public static synchronized Status apply() {
        if (status == Status.NOT_ATTEMPTED) {
            status = attempt();
            LOG.debug("MKL vendor fix for AMD CPUs: {}", status);
        }
        return status;
    }

    /** @return the outcome of {@link #apply()}, or {@link Status#NOT_ATTEMPTED} */
    public static synchronized Status status() {
        return status;
    }

    /**
     * MKL's code branch in the loaded libtorch: 0 is its generic path, a larger number a wider
     * instruction set (7 = AVX-512 on the Zen 4 machine of docs/benchmarks.md). For checks and
     * benchmarks; it loads the helper if needed, without applying the fix.
     *
     * @return the branch, or -1 where unknown (libtorch not loaded yet, no helper, not linux-x86_64)
     */
    public static int codeBranch() {
        if (!isLinuxX86_64(System.getProperty("os.name"), System.getProperty("os.arch"))
                || MklHelperLibrary.load() != MklHelperLibrary.LoadResult.LOADED) {
            return -1;
        }
        return MklHelperLibrary.codeBranch();
    }

    private static Status attempt() {
        if (optedOut(System.getProperty(OPT_OUT_PROPERTY), System.getenv(OPT_OUT_ENV))) {
            return Status.DISABLED;
        }
        if (!isLinuxX86_64(System.getProperty("os.name"), System.getProperty("os.arch"))) {
            return Status.UNSUPPORTED_PLATFORM;
        }
        if (!cpuVendor(Path.of("/proc/cpuinfo")).map("AuthenticAMD"::equals).orElse(false)) {
            return Status.NOT_AMD;
        }
        switch (MklHelperLibrary.load()) {
            case MISSING:
                return Status.HELPER_MISSING;
            case FAILED:
                return Status.LOAD_FAILED;
            default:
                return MklHelperLibrary.promote() == 1 ? Status.APPLIED : Status.LOAD_FAILED;
        }
    }

    /** The property wins over the environment; {@code false}, {@code 0}, {@code off}, {@code no} opt out. */
    static boolean optedOut(String property, String env) {
        String value = property != null ? property : env;
        if (value == null) {
            return false;
        }
        String v = value.trim().toLowerCase(Locale.ROOT);
        return v.equals("false") || v.equals("0") || v.equals("off") || v.equals("no");
    }

    static boolean isLinuxX86_64(String osName, String osArch) {
        return "Linux".equals(osName) && ("amd64".equals(osArch) || "x86_64".equals(osArch));
    }

    /** The {@code vendor_id} of the first processor in a /proc/cpuinfo-formatted file, if any. */
    static Optional<String> cpuVendor(Path cpuinfo) {
        try (Stream<String> lines = Files.lines(cpuinfo)) {
            return lines.filter(l -> l.startsWith("vendor_id"))
                    .findFirst()
                    .map(l -> l.substring(l.indexOf(':') + 1).trim());
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
