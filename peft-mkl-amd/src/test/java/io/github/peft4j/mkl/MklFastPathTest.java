package io.github.peft4j.mkl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.DataInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** On an AMD linux-x86_64 host with the helper built: MKL's vector path, equal to its generic path. */
class MklFastPathTest {

    /** fp32 sums of 256 products of values in [-1, 1] summed in different orders differ by ~1e-5. */
    private static final double TOLERANCE = 1e-4;

    @TempDir
    Path dir;

    @Test
    void mklTakesItsVectorPathAndMatchesTheGenericPath() throws Exception {
        assumeTrue(MklAmdFix.isLinuxX86_64(System.getProperty("os.name"), System.getProperty("os.arch")));
        assumeTrue(MklAmdFix.cpuVendor(Path.of("/proc/cpuinfo")).orElse("").equals("AuthenticAMD"), "not an AMD CPU");
        assumeTrue(MklHelperLibrary.class.getResource(MklHelperLibrary.RESOURCE) != null, "built without a C compiler");

        float[] fast = MatmulProbe.product();
        assertEquals(MklAmdFix.Status.APPLIED, MklAmdFix.status());
        int fastBranch = MklAmdFix.codeBranch();
        assertTrue(fastBranch > 0, "MKL code branch with the fix: " + fastBranch);

        Path out = dir.resolve("generic.bin");
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-D" + MklAmdFix.OPT_OUT_PROPERTY + "=false", "-Dai.djl.offline=true",
                "-Dai.djl.pytorch.num_threads=1", "-cp", System.getProperty("java.class.path"),
                MatmulProbe.class.getName(), out.toString()));
        Process child = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(dir.resolve("child.log").toFile()).start();
        assertTrue(child.waitFor(120, TimeUnit.SECONDS), "child JVM timed out");
        assertEquals(0, child.exitValue(), () -> readLog(dir.resolve("child.log")));

        try (DataInputStream in = new DataInputStream(Files.newInputStream(out))) {
            assertEquals("DISABLED", in.readUTF());
            assertEquals(0, in.readInt(), "MKL's generic path on AMD without the fix");
            float[] generic = new float[in.readInt()];
            for (int i = 0; i < generic.length; i++) {
                generic[i] = in.readFloat();
            }
            assertEquals(fast.length, generic.length);
            double[] exact = exactProduct();
            for (int i = 0; i < fast.length; i++) {
                assertEquals(exact[i], fast[i], TOLERANCE, "fast path, element " + i);
                assertEquals(exact[i], generic[i], TOLERANCE, "generic path, element " + i);
                assertEquals(generic[i], fast[i], TOLERANCE, "fast vs generic, element " + i);
            }
        }
    }

    private static double[] exactProduct() {
        float[] a = MatmulProbe.left();
        float[] b = MatmulProbe.right();
        double[] c = new double[MatmulProbe.M * MatmulProbe.N];
        for (int i = 0; i < MatmulProbe.M; i++) {
            for (int k = 0; k < MatmulProbe.K; k++) {
                double aik = a[i * MatmulProbe.K + k];
                for (int j = 0; j < MatmulProbe.N; j++) {
                    c[i * MatmulProbe.N + j] += aik * b[k * MatmulProbe.N + j];
                }
            }
        }
        return c;
    }

    private static String readLog(Path log) {
        try {
            return Files.readString(log);
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }
}
