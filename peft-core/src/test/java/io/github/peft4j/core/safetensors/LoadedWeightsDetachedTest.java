package io.github.peft4j.core.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 24, item 2: loaded weights do not alias their file. {@code cp} over a served checkpoint
 * rewrites it in place or truncates it; neither may change live weights or kill the JVM (SIGBUS).
 */
class LoadedWeightsDetachedTest {

    private static final int FLOATS = 1 << 20; // 4 MiB: many pages, so truncation reaches unread ones

    @TempDir
    Path dir;

    private static float[] ramp() {
        float[] v = new float[FLOATS];
        for (int i = 0; i < v.length; i++) {
            v[i] = i * 0.5f;
        }
        return v;
    }

    private Path write(NDManager m) {
        Path file = dir.resolve("model.safetensors");
        SafetensorsWriter.write(file, Map.of("w", m.create(ramp()), "d", m.create(new double[] {1.5, -2})));
        return file;
    }

    @Test
    void rewritingTheFileInPlaceAfterLoadChangesNothingLoaded() throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            Path file = write(m);
            NDArray w;
            NDArray d;
            try (SafetensorsFile f = SafetensorsFile.open(file)) {
                w = f.load("w", m);
                d = f.load("d", m);
            }
            // cp over the file: same inode, every byte rewritten
            byte[] garbage = new byte[(int) Files.size(file)];
            java.util.Arrays.fill(garbage, (byte) 0x7f);
            try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
                raf.seek(0);
                raf.write(garbage);
            }
            assertArrayEquals(ramp(), w.toFloatArray());
            assertArrayEquals(new double[] {1.5, -2}, d.toDoubleArray());
        }
    }

    /** Run in a child JVM: before the fix, reading a truncated mapping killed the process with SIGBUS. */
    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[0]);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray w;
            long anonBefore = rssKb("RssAnon:");
            try (SafetensorsFile f = SafetensorsFile.open(file)) {
                w = f.load("w", m);
            }
            long anonAfter = rssKb("RssAnon:");
            try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
                raf.setLength(0);
            }
            System.out.println("NATIVE_SUM " + w.toType(ai.djl.ndarray.types.DataType.FLOAT64, false).sum().getDouble());
            float[] v = w.toFloatArray();
            double sum = 0;
            for (float x : v) {
                sum += x;
            }
            System.out.println("SUM " + sum);
            System.out.println("ANON_KB " + (anonAfter - anonBefore));
        }
    }

    private static long rssKb(String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith(field)) {
                return Long.parseLong(line.substring(field.length()).trim().split("\\s+")[0]);
            }
        }
        return -1;
    }

    @Test
    void truncatingTheFileAfterLoadNeitherCrashesNorChangesTheWeights() throws Exception {
        Path file;
        try (NDManager m = NDManager.newBaseManager()) {
            file = write(m);
        }
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "-Dai.djl.offline=true",
                LoadedWeightsDetachedTest.class.getName(), file.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child JVM finished");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), "the child JVM survived the truncation (134/135 = SIGBUS):\n" + out);
        double expected = 0.5 * ((double) FLOATS * (FLOATS - 1) / 2);
        assertTrue(out.contains("SUM " + expected), out);
        long anonKb = out.lines().filter(l -> l.startsWith("ANON_KB ")).mapToLong(l -> Long.parseLong(l.substring(8)))
                .findFirst().orElseThrow();
        System.out.println("loaded a 4 MiB F32 tensor: anonymous memory +" + anonKb + " KiB");
        // the copy is anonymous memory at least the size of the tensor (4096 KiB); the rest is the engine's own
        assertTrue(anonKb >= 3500, "anonymous memory for a 4 MiB tensor: " + anonKb + " KiB");
    }
}
