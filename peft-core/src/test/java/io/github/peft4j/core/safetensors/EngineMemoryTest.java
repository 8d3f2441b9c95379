package io.github.peft4j.core.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.peft4j.core.tuner.EngineMemory;
import java.lang.reflect.Field;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** BF16/F16 tensors are widened into memory PyTorch owns, with no Java buffer behind them. */
class EngineMemoryTest {

    @TempDir
    Path dir;

    @Test
    void widenedTensorsLiveInTheEnginesMemoryWithExactValues() throws Exception {
        Path file = dir.resolve("w.safetensors");
        Map<String, SafetensorsWriter.Entry> entries = new LinkedHashMap<>();
        // 1, -2, 0.5, 3.140625 in BF16; 1, -2 in F16
        entries.put("bf", new SafetensorsWriter.Entry(SafetensorsDType.BF16, new long[] {2, 2},
                SafetensorsRoundTripTest.shorts(new short[] {0x3f80, (short) 0xc000, 0x3f00, 0x4049})));
        entries.put("h", new SafetensorsWriter.Entry(SafetensorsDType.F16, new long[] {2},
                SafetensorsRoundTripTest.shorts(new short[] {0x3c00, (short) 0xc000})));
        SafetensorsWriter.writeEntries(file, entries, SafetensorsWriter.PT_METADATA);
        try (NDManager m = NDManager.newBaseManager(); SafetensorsFile f = SafetensorsFile.open(file)) {
            NDArray bf = f.load("bf", m);
            assertEquals(DataType.FLOAT32, bf.getDataType());
            assertEquals(new Shape(2, 2), bf.getShape());
            assertArrayEquals(new float[] {1f, -2f, 0.5f, 3.140625f}, bf.toFloatArray());
            assertNull(javaBuffer(bf), "filled in place: no direct buffer to wait for a GC");
            assertArrayEquals(new float[] {1f, -2f}, f.load("h", m).toFloatArray());
            bf.muli(2);   // an ordinary array: in-place ops work and the file is untouched
            assertArrayEquals(new float[] {2f, -4f, 1f, 6.28125f}, bf.toFloatArray());
            assertArrayEquals(new float[] {1f, -2f, 0.5f, 3.140625f}, f.load("bf", m).toFloatArray());
            NDArray fresh = EngineMemory.create(m, new Shape(3), DataType.FLOAT32);
            assertNotNull(fresh, "PyTorch on the CPU gives a writable view");
            EngineMemory.view(fresh).asFloatBuffer().put(new float[] {4, 5, 6});
            assertArrayEquals(new float[] {4, 5, 6}, fresh.toFloatArray());
        }
    }

    private static Object javaBuffer(NDArray a) throws Exception {
        Field f = a.getClass().getDeclaredField("dataRef");
        f.setAccessible(true);
        return f.get(a);
    }
}
