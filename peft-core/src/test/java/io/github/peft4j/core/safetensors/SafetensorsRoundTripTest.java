package io.github.peft4j.core.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.peft4j.core.PeftFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

class SafetensorsRoundTripTest {

    @TempDir
    Path dir;

    @Test
    void everyDjlDtypeRoundTrips() throws Exception {
        Path file = dir.resolve("all.safetensors");
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> in = new LinkedHashMap<>();
            in.put("f32", m.create(new float[] {1.5f, -2.25f, 3e-38f, Float.MAX_VALUE, -0f, 7f},
                    new Shape(2, 3)));
            in.put("f64", m.create(new double[] {Math.PI, -1e300, 0.1}, new Shape(3)));
            in.put("f16", m.create(new float[] {1f, -0.5f, 65504f, 0.099975586f}, new Shape(2, 2))
                    .toType(DataType.FLOAT16, false));
            in.put("i64", m.create(new long[] {Long.MIN_VALUE, -1, Long.MAX_VALUE}, new Shape(3, 1)));
            in.put("i32", m.create(new int[] {Integer.MIN_VALUE, 0, 42, Integer.MAX_VALUE}));
            in.put("i8", m.create(new byte[] {-128, -1, 0, 127}, new Shape(1, 4)));
            in.put("u8", m.create(ByteBuffer.wrap(new byte[] {0, 1, (byte) 200, (byte) 255}),
                    new Shape(4), DataType.UINT8));
            in.put("bool", m.create(new boolean[] {true, false, false, true, true}));
            SafetensorsWriter.write(file, in);

            try (SafetensorsFile f = SafetensorsFile.open(file)) {
                assertEquals(Map.of("format", "pt"), f.metadata());
                // Reference writer order: dtype descending in enum order, then name.
                assertEquals(List.of("i64", "f64", "f32", "i32", "f16", "i8", "u8", "bool"), f.names());
                assertEquals(SafetensorsDType.F16, f.info("f16").dtype());
                assertEquals(SafetensorsDType.U8, f.info("u8").dtype());
                assertEquals(SafetensorsDType.BOOL, f.info("bool").dtype());
                Map<String, NDArray> out = f.loadAll(m);
                assertEquals(f.names(), List.copyOf(out.keySet()));
                for (String name : in.keySet()) {
                    NDArray a = in.get(name);
                    NDArray b = out.get(name);
                    assertEquals(a.getShape(), b.getShape(), name);
                    if (name.equals("f16")) {
                        assertEquals(DataType.FLOAT32, b.getDataType());
                        assertArrayEquals(new float[] {1f, -0.5f, 65504f, 0.099975586f}, b.toFloatArray());
                    } else {
                        assertEquals(a.getDataType(), b.getDataType(), name);
                        assertEquals(a.toByteBuffer(), b.toByteBuffer(), name);
                    }
                }
                assertArrayEquals(new float[] {1.5f, -2.25f, 3e-38f, Float.MAX_VALUE, -0f, 7f},
                        out.get("f32").toFloatArray());
                assertArrayEquals(new double[] {Math.PI, -1e300, 0.1}, out.get("f64").toDoubleArray());
                assertArrayEquals(new long[] {Long.MIN_VALUE, -1, Long.MAX_VALUE},
                        out.get("i64").toLongArray());
                assertArrayEquals(new int[] {Integer.MIN_VALUE, 0, 42, Integer.MAX_VALUE},
                        out.get("i32").toIntArray());
                assertArrayEquals(new byte[] {-128, -1, 0, 127}, out.get("i8").toByteArray());
                assertArrayEquals(new int[] {0, 1, 200, 255}, out.get("u8").toUint8Array());
                assertArrayEquals(new boolean[] {true, false, false, true, true},
                        out.get("bool").toBooleanArray());
                assertEquals("f32", out.get("f32").getName());
            }
        }
    }

    @Test
    void bf16ReadsBackAsF32() throws Exception {
        short[] bits = {0x3f80, (short) 0xc000, 0x4049, 0x0001, (short) 0x8000, 0x7f80,
            (short) 0xff80, 0x7fc0, 0x3c23};
        float[] expected = {1f, -2f, 3.140625f, Math.scalb(1f, -133), -0f, Float.POSITIVE_INFINITY,
            Float.NEGATIVE_INFINITY, Float.NaN, 0.00994873046875f};
        Path file = dir.resolve("bf16.safetensors");
        SafetensorsWriter.writeEntries(file, Map.of("w",
                new SafetensorsWriter.Entry(SafetensorsDType.BF16, new long[] {3, 3}, shorts(bits))),
                SafetensorsWriter.PT_METADATA);
        try (SafetensorsFile f = SafetensorsFile.open(file); NDManager m = NDManager.newBaseManager()) {
            assertEquals(SafetensorsDType.BF16, f.info("w").dtype());
            assertEquals(18, f.info("w").byteSize());
            NDArray a = f.load("w", m);
            assertEquals(DataType.FLOAT32, a.getDataType());
            assertEquals(new Shape(3, 3), a.getShape());
            assertFloatsBitEqual(expected, a.toFloatArray());
        }
    }

    @Test
    void f16ReadsBackAsF32IncludingSubnormalsInfNanAndNegativeZero() throws Exception {
        short[] bits = {0x3c00, (short) 0xc000, 0x3555, 0x0001, 0x03ff, 0x0400, 0x7bff, 0x7c00,
            (short) 0xfc00, 0x7e00, (short) 0x8000, (short) 0x8001};
        float[] expected = {1f, -2f, 0.333251953125f, 5.9604644775390625e-08f,
            6.097555160522461e-05f, 6.103515625e-05f, 65504f, Float.POSITIVE_INFINITY,
            Float.NEGATIVE_INFINITY, Float.NaN, -0f, -5.9604644775390625e-08f};
        Path file = dir.resolve("f16.safetensors");
        SafetensorsWriter.writeEntries(file, Map.of("h",
                new SafetensorsWriter.Entry(SafetensorsDType.F16, new long[] {12}, shorts(bits))),
                null);
        try (SafetensorsFile f = SafetensorsFile.open(file); NDManager m = NDManager.newBaseManager()) {
            assertTrue(f.metadata().isEmpty());
            NDArray a = f.load("h", m);
            assertEquals(DataType.FLOAT32, a.getDataType());
            float[] got = a.toFloatArray();
            assertFloatsBitEqual(expected, got);
            assertEquals(0x8000_0000, Float.floatToRawIntBits(got[10]), "negative zero keeps its sign");
        }
    }

    @Test
    void f16TableMatchesPyTorchForAllBitPatterns() {
        ByteBuffer all = ByteBuffer.allocateDirect(2 << 16).order(ByteOrder.nativeOrder());
        for (int i = 0; i < 1 << 16; i++) {
            all.putShort((short) i);
        }
        all.flip();
        try (NDManager m = NDManager.newBaseManager()) {
            float[] torch = m.create(all, new Shape(1 << 16), DataType.FLOAT16)
                    .toType(DataType.FLOAT32, true).toFloatArray();
            for (int i = 0; i < 1 << 16; i++) {
                float ours = HalfFloats.f16ToFloat((short) i);
                if (Float.isNaN(torch[i])) {
                    assertTrue(Float.isNaN(ours), Integer.toHexString(i));
                } else {
                    assertEquals(Float.floatToRawIntBits(torch[i]), Float.floatToRawIntBits(ours),
                            Integer.toHexString(i));
                }
            }
        }
    }

    @Test
    void scalarsAndZeroSizeTensors() throws Exception {
        Path file = dir.resolve("edge.safetensors");
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> in = new LinkedHashMap<>();
            in.put("scalar", m.create(3.5f));
            in.put("empty", m.create(new Shape(0, 3), DataType.FLOAT32));
            in.put("empty_i64", m.create(new Shape(2, 0), DataType.INT64));
            SafetensorsWriter.write(file, in);
            try (SafetensorsFile f = SafetensorsFile.open(file)) {
                assertArrayEquals(new long[0], f.info("scalar").shape());
                assertEquals(4, f.info("scalar").byteSize());
                assertEquals(0, f.info("empty").byteSize());
                NDArray s = f.load("scalar", m);
                assertEquals(new Shape(), s.getShape());
                assertEquals(3.5f, s.getFloat());
                NDArray e = f.load("empty", m);
                assertEquals(new Shape(0, 3), e.getShape());
                assertEquals(0, e.size());
                assertEquals(new Shape(2, 0), f.load("empty_i64", m).getShape());
                assertEquals(0, f.rawBytes("empty").remaining());
            }
        }
        // Raw BF16 scalar and zero-size tensor, converted to F32.
        Path raw = dir.resolve("edge_bf16.safetensors");
        Map<String, SafetensorsWriter.Entry> entries = new LinkedHashMap<>();
        entries.put("s", new SafetensorsWriter.Entry(SafetensorsDType.BF16, new long[0],
                shorts(new short[] {(short) 0xbf80})));
        entries.put("z", new SafetensorsWriter.Entry(SafetensorsDType.BF16, new long[] {0, 5},
                ByteBuffer.allocate(0)));
        SafetensorsWriter.writeEntries(raw, entries, SafetensorsWriter.PT_METADATA);
        try (SafetensorsFile f = SafetensorsFile.open(raw); NDManager m = NDManager.newBaseManager()) {
            assertEquals(-1f, f.load("s", m).getFloat());
            NDArray z = f.load("z", m);
            assertEquals(new Shape(0, 5), z.getShape());
            assertEquals(DataType.FLOAT32, z.getDataType());
        }
    }

    @Test
    void nonContiguousArrayIsWrittenInRowMajorOrder() throws Exception {
        Path file = dir.resolve("t.safetensors");
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = m.arange(6f).reshape(2, 3).transpose();
            SafetensorsWriter.write(file, Map.of("t", a));
            try (SafetensorsFile f = SafetensorsFile.open(file)) {
                NDArray b = f.load("t", m);
                assertEquals(new Shape(3, 2), b.getShape());
                assertArrayEquals(new float[] {0, 3, 1, 4, 2, 5}, b.toFloatArray());
            }
        }
    }

    @Test
    void rawOnlyDtypesKeepTheirBytesButRefuseToLoad() throws Exception {
        Path file = dir.resolve("raw.safetensors");
        Map<String, SafetensorsWriter.Entry> entries = new LinkedHashMap<>();
        entries.put("u16", new SafetensorsWriter.Entry(SafetensorsDType.U16, new long[] {2},
                shorts(new short[] {1, (short) 0xffff})));
        entries.put("f8", new SafetensorsWriter.Entry(SafetensorsDType.F8_E4M3, new long[] {3},
                ByteBuffer.wrap(new byte[] {0x38, 0x40, (byte) 0xb8})));
        entries.put("f4", new SafetensorsWriter.Entry(SafetensorsDType.F4, new long[] {2, 2},
                ByteBuffer.wrap(new byte[] {0x21, 0x43})));
        entries.put("c64", new SafetensorsWriter.Entry(SafetensorsDType.C64, new long[] {1},
                ByteBuffer.wrap(new byte[8])));
        SafetensorsWriter.writeEntries(file, entries, SafetensorsWriter.PT_METADATA);
        try (SafetensorsFile f = SafetensorsFile.open(file); NDManager m = NDManager.newBaseManager()) {
            assertEquals(List.of("c64", "u16", "f8", "f4"), f.names());
            ByteBuffer u16 = f.rawBytes("u16");
            assertEquals(ByteOrder.LITTLE_ENDIAN, u16.order());
            assertTrue(u16.isReadOnly());
            assertEquals(1, u16.getShort(0));
            assertEquals((short) 0xffff, u16.getShort(2));
            assertEquals(ByteBuffer.wrap(new byte[] {0x21, 0x43}), f.rawBytes("f4"));
            for (String n : List.of("u16", "f8", "f4", "c64")) {
                PeftFormatException e = assertThrows(PeftFormatException.class, () -> f.load(n, m));
                assertEquals(n, e.key());
                assertTrue(e.getMessage().contains("cannot be loaded as an NDArray"), e.getMessage());
            }
        }
    }

    @Test
    void metadataOrderAndEscapingArePreserved() throws Exception {
        Path file = dir.resolve("meta.safetensors");
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put("z\"quote", "tab\there\u0001 é 😀");
        meta.put("a", "");
        String name = "we\\ird\n.näme";
        try (NDManager m = NDManager.newBaseManager()) {
            SafetensorsWriter.write(file, Map.of(name, m.ones(new Shape(1))), meta);
            try (SafetensorsFile f = SafetensorsFile.open(file)) {
                assertEquals(List.copyOf(meta.entrySet()), List.copyOf(f.metadata().entrySet()));
                assertEquals(List.of(name), f.names());
            }
        }
        byte[] bytes = Files.readAllBytes(file);
        String header = new String(bytes, 8, (int) ByteBuffer.wrap(bytes, 0, 8)
                .order(ByteOrder.LITTLE_ENDIAN).getLong(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(header.startsWith("{\"__metadata__\":{\"format\":\"pt\","
                + "\"z\\\"quote\":\"tab\\there\\u0001 é 😀\",\"a\":\"\"},"
                + "\"we\\\\ird\\n.näme\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}"),
                header);
    }

    @Test
    void matchesTheReferenceWritersTestVectors() throws Exception {
        // The byte strings asserted by the Rust crate's own serialization tests.
        ByteBuffer data = TestFiles.le(24);
        for (float v : new float[] {0, 1, 2, 3, 4, 5}) {
            data.putFloat(v);
        }
        data.flip();
        Path a = dir.resolve("a.safetensors");
        SafetensorsWriter.writeEntries(a, Map.of("attn.0",
                new SafetensorsWriter.Entry(SafetensorsDType.F32, new long[] {1, 2, 3}, data)), null);
        byte[] bytes = Files.readAllBytes(a);
        assertEquals(8 + 64 + 24, bytes.length);
        assertEquals(64, bytes[0]);
        assertEquals("{\"attn.0\":{\"dtype\":\"F32\",\"shape\":[1,2,3],\"data_offsets\":[0,24]}}",
                new String(bytes, 8, 64, java.nio.charset.StandardCharsets.UTF_8));

        Path b = dir.resolve("b.safetensors");
        SafetensorsWriter.writeEntries(b, Map.of("attn0",
                new SafetensorsWriter.Entry(SafetensorsDType.F32, new long[] {1, 1, 2, 3}, data)), null);
        bytes = Files.readAllBytes(b);
        assertEquals(72, bytes[0]);
        assertEquals("{\"attn0\":{\"dtype\":\"F32\",\"shape\":[1,1,2,3],\"data_offsets\":[0,24]}}       ",
                new String(bytes, 8, 72, java.nio.charset.StandardCharsets.UTF_8));

        Path c = dir.resolve("c.safetensors");
        SafetensorsWriter.writeEntries(c, Map.of(), Map.of("framework", "pt"));
        bytes = Files.readAllBytes(c);
        assertEquals(48, bytes.length);
        assertEquals("{\"__metadata__\":{\"framework\":\"pt\"}}     ",
                new String(bytes, 8, 40, java.nio.charset.StandardCharsets.UTF_8));
        try (SafetensorsFile f = SafetensorsFile.open(c)) {
            assertEquals(Map.of("framework", "pt"), f.metadata());
        }
    }

    @Test
    void dtypeParsingAndMapping() {
        for (SafetensorsDType t : SafetensorsDType.values()) {
            assertEquals(t, SafetensorsDType.parse(t.name()));
        }
        assertThrows(PeftFormatException.class, () -> SafetensorsDType.parse("f32"));
        assertThrows(PeftFormatException.class, () -> SafetensorsDType.parse("F128"));
        assertEquals(SafetensorsDType.F32, SafetensorsDType.of(DataType.FLOAT32));
        assertEquals(SafetensorsDType.BF16, SafetensorsDType.of(DataType.BFLOAT16));
        assertEquals(SafetensorsDType.BOOL, SafetensorsDType.of(DataType.BOOLEAN));
        assertTrue(SafetensorsDType.BF16.djlType().isEmpty());
        assertTrue(SafetensorsDType.I16.djlType().isEmpty());
        assertEquals(DataType.UINT8, SafetensorsDType.U8.djlType().orElseThrow());
        assertEquals(4, SafetensorsDType.F4.bits());
        assertEquals(6, SafetensorsDType.F6_E3M2.bits());
        assertEquals(64, SafetensorsDType.C64.bits());
        assertEquals(22, SafetensorsDType.values().length);
    }

    @Test
    void tensorInfoIsAValue() {
        long[] shape = {2, 3};
        TensorInfo a = new TensorInfo("x", SafetensorsDType.F32, shape, 0, 24);
        shape[0] = 9;
        TensorInfo b = new TensorInfo("x", SafetensorsDType.F32, new long[] {2, 3}, 0, 24);
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertEquals(6, a.numElements());
        assertEquals(24, a.byteSize());
        a.shape()[0] = 7;
        assertArrayEquals(new long[] {2, 3}, a.shape());
        assertTrue(a.toString().contains("[2, 3]"));
    }

    static ByteBuffer shorts(short[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (short s : values) {
            b.putShort(s);
        }
        return b.flip();
    }

    static void assertFloatsBitEqual(float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            if (Float.isNaN(expected[i])) {
                assertTrue(Float.isNaN(actual[i]), "index " + i + ": " + actual[i]);
            } else {
                assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(actual[i]),
                        "index " + i + ": expected " + expected[i] + " but was " + actual[i]);
            }
        }
    }
}
