package io.github.peft4j.core.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;

/** Loading copies every tensor out of the file: in-place ops never reach it, later changes to it never show. */
class SafetensorsCopyTest {

    @TempDir
    Path dir;

    /** The buffer a PtNDArray created from a direct buffer keeps alive (its from_blob memory). */
    private static ByteBuffer backingBuffer(NDArray a) throws Exception {
        Field f = a.getClass().getDeclaredField("dataRef");
        f.setAccessible(true);
        return (ByteBuffer) f.get(a);
    }

    /**
     * Overwrites the first float of tensor {@code name} through an independent channel. Pages of a
     * MAP_PRIVATE mapping that were never written still come from the page cache, so an array that
     * shares memory with the mapping sees the new value; a copied array does not.
     */
    private static void overwriteFirstFloat(Path file, SafetensorsFile f, String name, float v)
            throws Exception {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ByteBuffer b = TestFiles.le(4).putFloat(v).flip();
            ch.write(b, f.dataOffset() + f.info(name).begin());
        }
    }

    private Path sample(NDManager m) {
        Path file = dir.resolve("w.safetensors");
        SafetensorsWriter.write(file, Map.of(
                "w", m.create(new float[] {1, 2, 3, 4}),
                "d", m.create(new double[] {0.5, -0.5}),
                "i", m.create(new long[] {7, 8, 9})));
        return file;
    }

    @Test
    void writableFileIsCopiedAndInPlaceOpsDoNotReachTheFile() throws Exception {
        // Issue 24 item 2 replaced the copy-on-write mapping, whose unwritten pages followed the file.
        try (NDManager m = NDManager.newBaseManager()) {
            Path file = sample(m);
            byte[] before = Files.readAllBytes(file);
            try (SafetensorsFile f = SafetensorsFile.open(file)) {
                NDArray w = f.load("w", m);
                overwriteFirstFloat(file, f, "w", 10f);
                assertArrayEquals(new float[] {1, 2, 3, 4}, w.toFloatArray());
                overwriteFirstFloat(file, f, "w", 1f);
                w.muli(2);
                assertArrayEquals(new float[] {2, 4, 6, 8}, w.toFloatArray());
                assertArrayEquals(new float[] {1, 2, 3, 4}, f.load("w", m).toFloatArray());
                NDArray d = f.load("d", m);
                d.addi(1);
                assertArrayEquals(new double[] {1.5, 0.5}, d.toDoubleArray());
                NDArray i = f.load("i", m);
                i.subi(7);
                assertArrayEquals(new long[] {0, 1, 2}, i.toLongArray());
            }
            assertArrayEquals(before, Files.readAllBytes(file));
        }
    }

    @Test
    void readOnlyOpenCopiesOnceAndInPlaceOpsAreSafe() throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            Path file = sample(m);
            byte[] before = Files.readAllBytes(file);
            try (SafetensorsFile f = SafetensorsFile.open(file)) {
                NDArray w = f.load("w", m);
                ByteBuffer backing = backingBuffer(w);
                assertTrue(backing.isDirect());
                assertFalse(backing.isReadOnly(), "never a read-only mapping");
                // A copy: later changes to the file do not show through.
                overwriteFirstFloat(file, f, "w", 10f);
                assertArrayEquals(new float[] {1, 2, 3, 4}, w.toFloatArray());
                overwriteFirstFloat(file, f, "w", 1f);
                w.muli(3);
                assertArrayEquals(new float[] {3, 6, 9, 12}, w.toFloatArray());
                assertArrayEquals(new float[] {1, 2, 3, 4}, f.load("w", m).toFloatArray());
            }
            assertArrayEquals(before, Files.readAllBytes(file));
        }
    }

    @Test
    void readOnlyFileOnDiskLoadsAndSurvivesInPlaceOps() throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            Path file = sample(m);
            assertTrue(file.toFile().setWritable(false, false));
            try (SafetensorsFile f = SafetensorsFile.open(file)) {
                NDArray w = f.load("w", m);
                w.muli(2);
                assertArrayEquals(new float[] {2, 4, 6, 8}, w.toFloatArray());
            } finally {
                file.toFile().setWritable(true);
            }
        }
        // The shared fixtures are read-only for ordinary users: same path.
        try (NDManager m = NDManager.newBaseManager();
                SafetensorsFile f = SafetensorsFile.open(TestFiles.fixture("tiny_gpt2"))) {
            NDArray ln = f.load("h.0.ln_1.weight", m);
            ln.muli(5);
            assertArrayEquals(new float[] {5, 5}, ln.toFloatArray());
            assertArrayEquals(new float[] {1, 1}, f.load("h.0.ln_1.weight", m).toFloatArray());
        }
    }

    @Test
    void misalignedTensorIsCopied() throws Exception {
        // An unpadded header that leaves the data at an odd file offset (as DJL's own writer does).
        String json = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        String header = json + " ".repeat(((1 - (8 + json.length())) % 4 + 4) % 4);
        ByteBuffer data = TestFiles.le(8).putFloat(1.25f).putFloat(-3f).flip();
        byte[] bytes = TestFiles.file(header, 0);
        byte[] all = new byte[bytes.length + 8];
        System.arraycopy(bytes, 0, all, 0, bytes.length);
        data.get(all, bytes.length, 8);
        Path file = TestFiles.write(dir.resolve("odd.safetensors"), all);
        try (SafetensorsFile f = SafetensorsFile.open(file); NDManager m = NDManager.newBaseManager()) {
            assertTrue(f.dataOffset() % 4 == 1);
            NDArray a = f.load("a", m);
            assertArrayEquals(new float[] {1.25f, -3f}, a.toFloatArray());
            overwriteFirstFloat(file, f, "a", 7f);
            assertArrayEquals(new float[] {1.25f, -3f}, a.toFloatArray(), "copied, not mapped");
            a.muli(2);
            assertArrayEquals(new float[] {2.5f, -6f}, a.toFloatArray());
        }
    }

    @Test
    void closedFileRefusesToLoad() {
        try (NDManager m = NDManager.newBaseManager()) {
            Path file = sample(m);
            SafetensorsFile f = SafetensorsFile.open(file);
            NDArray w = f.load("w", m);
            f.close();
            assertArrayEquals(new float[] {1, 2, 3, 4}, w.toFloatArray());
            assertThrows(IllegalStateException.class, () -> f.load("w", m));
        }
    }
}
