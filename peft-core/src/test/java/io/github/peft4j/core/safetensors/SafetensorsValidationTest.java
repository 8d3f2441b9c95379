package io.github.peft4j.core.safetensors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.peft4j.core.PeftFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** One hand-made malformed file per rule of the reference parser. */
class SafetensorsValidationTest {

    @TempDir
    Path dir;

    private static String t(String name, String dtype, String shape, long begin, long end) {
        return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape
                + ",\"data_offsets\":[" + begin + "," + end + "]}";
    }

    /** Opens the file, expects a format error naming the file and {@code key}, returns it. */
    private PeftFormatException rejects(Path file, String key, String messagePart) {
        PeftFormatException e = assertThrows(PeftFormatException.class, () -> {
            try (SafetensorsFile f = SafetensorsFile.open(file)) {
                f.names();
            }
        });
        assertEquals(file, e.file());
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        if (key == null) {
            assertNull(e.key(), e.getMessage());
        } else {
            assertEquals(key, e.key(), e.getMessage());
            assertTrue(e.getMessage().contains("'" + key + "'"), e.getMessage());
        }
        assertTrue(e.getMessage().contains(messagePart), e.getMessage());
        return e;
    }

    private Path file(String header, int dataBytes) {
        return TestFiles.write(dir.resolve("bad.safetensors"), TestFiles.file(header, dataBytes));
    }

    @Test
    void fileShorterThanEightBytes() {
        rejects(TestFiles.write(dir.resolve("short.safetensors"), new byte[] {2, 0, 0, 0, 0}),
                null, "too small");
    }

    @Test
    void emptyFile() {
        rejects(TestFiles.write(dir.resolve("empty.safetensors"), new byte[0]), null, "too small");
    }

    @Test
    void headerLengthPastEndOfFile() {
        rejects(TestFiles.write(dir.resolve("b.safetensors"),
                TestFiles.withLength(100, "{}".getBytes(StandardCharsets.US_ASCII))),
                null, "runs past the end");
    }

    @Test
    void headerLengthTwoToTheSixtyThree() {
        // Read as a signed long this is negative; it must count as huge, not small.
        rejects(TestFiles.write(dir.resolve("b.safetensors"),
                TestFiles.withLength(Long.MIN_VALUE, "{}".getBytes(StandardCharsets.US_ASCII))),
                null, "exceeds the limit");
        rejects(TestFiles.write(dir.resolve("c.safetensors"), TestFiles.withLength(-1L, new byte[16])),
                null, "18446744073709551615");
    }

    @Test
    void headerLengthOverOneHundredMillion() {
        rejects(TestFiles.write(dir.resolve("b.safetensors"),
                TestFiles.withLength(100_000_001L, new byte[16])), null, "exceeds the limit");
    }

    @Test
    void overlappingOffsets() {
        rejects(file("{" + t("a", "F32", "[2]", 0, 8) + "," + t("b", "F32", "[2]", 4, 12) + "}", 12),
                "b", "overlap");
    }

    @Test
    void holeBetweenTensors() {
        rejects(file("{" + t("a", "F32", "[2]", 0, 8) + "," + t("b", "F32", "[2]", 12, 20) + "}", 20),
                "b", "hole");
    }

    @Test
    void firstTensorNotAtZero() {
        rejects(file("{" + t("a", "F32", "[2]", 4, 12) + "}", 12), "a", "hole");
    }

    @Test
    void trailingBytes() {
        rejects(file("{" + t("a", "F32", "[2]", 0, 8) + "}", 9), "a", "trailing bytes");
    }

    @Test
    void truncatedData() {
        rejects(file("{" + t("a", "F32", "[2]", 0, 8) + "}", 7), "a", "truncated");
    }

    @Test
    void trailingBytesWithoutTensors() {
        rejects(file("{}", 1), null, "trailing bytes");
    }

    @Test
    void shapeDoesNotMatchSize() {
        rejects(file("{" + t("a", "F32", "[3]", 0, 8) + "}", 8), "a", "needs 12 bytes");
    }

    @Test
    void subByteDtypeNotAWholeNumberOfBytes() {
        rejects(file("{" + t("a", "F4", "[3]", 0, 2) + "}", 2), "a", "not a whole number of bytes");
    }

    @Test
    void elementCountOverflow() {
        rejects(file("{" + t("a", "F32", "[4294967296,4294967296,2]", 0, 8) + "}", 8), "a",
                "overflows");
        rejects(file("{" + t("b", "F32", "[4294967296,4294967296]", 0, 8) + "}", 8), "b",
                "overflows");
    }

    @Test
    void beginAfterEnd() {
        rejects(file("{" + t("a", "F32", "[2]", 8, 0) + "}", 8), "a", "end before they begin");
    }

    @Test
    void unknownDtype() {
        rejects(file("{" + t("a", "F128", "[1]", 0, 16) + "}", 16), "a", "unknown safetensors dtype");
    }

    @Test
    void headerNotAnObject() {
        rejects(file("[]", 0), null, "must be a JSON object");
        rejects(file("\"x\"", 0), null, "must be a JSON object");
    }

    @Test
    void notJsonAtAll() {
        rejects(file("{\"a\":", 0), "a", "not valid JSON");
        rejects(file("{}x", 0), null, "not valid JSON");
        rejects(file("{} {}", 0), null, "after the header object");
        rejects(file("{}\0\0\0\0\0\0", 0), null, "not valid JSON");
    }

    @Test
    void tensorEntryNotAnObject() {
        rejects(file("{\"a\":[1,2]}", 0), "a", "must be an object");
    }

    @Test
    void missingField() {
        rejects(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8), "a", "missing field 'data_offsets'");
        rejects(file("{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}", 8), "a", "missing field 'dtype'");
    }

    @Test
    void extraField() {
        rejects(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"foo\":1}}", 8),
                "a", "unknown field 'foo'");
    }

    @Test
    void duplicateTensorKey() {
        rejects(file("{" + t("a", "F32", "[2]", 0, 8) + "," + t("a", "F32", "[2]", 8, 16) + "}", 16),
                "a", "duplicate key");
    }

    @Test
    void duplicateFieldInsideATensor() {
        rejects(file("{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8),
                "a", "duplicate field 'dtype'");
    }

    @Test
    void duplicateMetadata() {
        rejects(file("{\"__metadata__\":{},\"__metadata__\":{}}", 0), "__metadata__", "duplicate key");
        rejects(file("{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", 0), "__metadata__", "duplicate");
    }

    @Test
    void metadataValueNotAString() {
        rejects(file("{\"__metadata__\":{\"format\":1}}", 0), "__metadata__", "must be a string");
        rejects(file("{\"__metadata__\":{\"format\":null}}", 0), "__metadata__", "must be a string");
        rejects(file("{\"__metadata__\":[\"pt\"]}", 0), "__metadata__", "must be an object");
    }

    @Test
    void offsetsAndShapeMustBeNaturals() {
        rejects(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0.0,8]}}", 8), "a",
                "non-negative integers");
        rejects(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8), "a",
                "non-negative integers");
        rejects(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8,8]}}", 8), "a",
                "exactly 2 integers");
        rejects(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,18446744073709551616]}}",
                8), "a", "does not fit");
        rejects(file("{\"a\":{\"dtype\":\"F32\",\"shape\":\"2\",\"data_offsets\":[0,8]}}", 8), "a",
                "must be an array");
    }

    @Test
    void headerNotUtf8() {
        byte[] header = "{\"a\u00ff\":{}}".getBytes(StandardCharsets.ISO_8859_1);
        rejects(TestFiles.write(dir.resolve("b.safetensors"), TestFiles.file(header, 0)),
                null, "not valid UTF-8");
    }

    @Test
    void loneSurrogateEscape() {
        rejects(file("{\"a\\ud800\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}", 4),
                "a\ud800", "lone surrogate");
    }

    @Test
    void missingFile() {
        rejects(dir.resolve("nope.safetensors"), null, "does not exist");
    }

    @Test
    void validEdgeCasesAreAccepted() {
        // Leading and trailing whitespace, explicit null metadata, empty header, zero-size tensors
        // sharing an offset, unpadded header: all accepted by the reference parser.
        String h = "  {\"__metadata__\":null," + t("z", "F32", "[0]", 0, 0) + ","
                + t("y", "F16", "[0,3]", 0, 0) + "," + t("a", "F32", "[]", 0, 4) + "}\n ";
        try (SafetensorsFile f = SafetensorsFile.open(file(h, 4))) {
            assertEquals(List.of("z", "y", "a"), f.names());
            assertEquals(Map.of(), f.metadata());
        }
        try (SafetensorsFile f = SafetensorsFile.open(file("{}", 0))) {
            assertTrue(f.names().isEmpty());
        }
    }

    @Test
    void unknownTensorNameIsReported() {
        try (SafetensorsFile f = SafetensorsFile.open(file("{" + t("a", "F32", "[2]", 0, 8) + "}", 8))) {
            PeftFormatException e = assertThrows(PeftFormatException.class, () -> f.info("b"));
            assertEquals("b", e.key());
            assertTrue(e.getMessage().contains("absent"), e.getMessage());
            assertTrue(e.getMessage().contains(": a"), e.getMessage());
            assertThrows(PeftFormatException.class, () -> f.rawBytes("b"));
        }
    }
}
