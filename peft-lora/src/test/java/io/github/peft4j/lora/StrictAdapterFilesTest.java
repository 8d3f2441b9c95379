package io.github.peft4j.lora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.peft4j.core.PeftException;
import io.github.peft4j.core.PeftFormatException;
import io.github.peft4j.core.io.AdapterConfigJson;
import io.github.peft4j.core.io.AdapterDirectory;
import io.github.peft4j.core.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Issue 24, item 4: PEFT's JSON types are the contract; adapter tensors are finite floating point. */
class StrictAdapterFilesTest {

    private static final String BASE = "{\"peft_type\": \"LORA\", \"r\": 8, \"target_modules\": [\"q_proj\"]";

    @TempDir
    Path tmp;

    private Path config(String json) throws IOException {
        Path file = tmp.resolve("adapter_config.json");
        Files.writeString(file, json);
        return file;
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "use_dora|, \"use_dora\": 16}|a boolean (true or false), found 16",
        "use_rslora|, \"use_rslora\": -1}|a boolean (true or false), found -1",
        "r|, \"r\": \"8\"}|an integer, found \"8\"",
        "lora_dropout|, \"lora_dropout\": \"0.1\"}|a number, found \"0.1\"",
        "fan_in_fan_out|, \"fan_in_fan_out\": \"true\"}|a boolean (true or false), found \"true\"",
    })
    void aValueOfTheWrongTypeNamesFileKeyExpectedAndFound(String key, String tail, String message) throws IOException {
        Path file = config(BASE.replace(", \"r\": 8", tail.contains("\"r\"") ? "" : ", \"r\": 8") + tail);
        PeftFormatException e = assertThrows(PeftFormatException.class, () -> AdapterConfigJson.read(file));
        assertEquals(key, e.key(), e.getMessage());
        assertEquals(file, e.file());
        assertTrue(e.getMessage().contains("expected " + message), e.getMessage());
    }

    @Test
    void aFloatIsNotAnInteger() throws IOException {
        Path file = config(BASE.replace("\"r\": 8", "\"r\": 1e8") + "}");
        PeftFormatException e = assertThrows(PeftFormatException.class, () -> AdapterConfigJson.read(file));
        assertEquals("r", e.key(), e.getMessage());
    }

    @Test
    void trailingGarbageUtf16AndBomAreRefused() throws IOException {
        Path garbage = config(BASE + "} {\"x\": 1}");
        assertTrue(assertThrows(PeftFormatException.class, () -> AdapterConfigJson.read(garbage)).getMessage()
                .contains("adapter_config.json"));
        Path utf16 = tmp.resolve("utf16.json");
        Files.write(utf16, (BASE + "}").getBytes(StandardCharsets.UTF_16LE));
        assertTrue(assertThrows(PeftFormatException.class, () -> AdapterConfigJson.read(utf16)).getMessage()
                .contains("UTF-8"));
        Path utf16Bom = tmp.resolve("utf16bom.json");
        Files.write(utf16Bom, (BASE + "}").getBytes(StandardCharsets.UTF_16));
        assertThrows(PeftFormatException.class, () -> AdapterConfigJson.read(utf16Bom));
        // what PEFT itself writes still reads
        assertEquals(8, ((LoraConfig) AdapterConfigJson.read(config(BASE + ", \"lora_alpha\": 16, \"use_dora\": false}"))).r());
    }

    @Test
    void anOverflowingAlphaIsRefused() throws IOException {
        Path file = config(BASE + ", \"lora_alpha\": 1e30}");
        PeftFormatException e = assertThrows(PeftFormatException.class, () -> AdapterConfigJson.read(file));
        assertTrue(e.getMessage().contains("lora_alpha") && e.getMessage().contains("1.0E30"), e.getMessage());
    }

    private Path adapterWith(NDArray a) throws IOException {
        Path dir = tmp.resolve("adapter-" + a.getDataType());
        try (NDManager m = NDManager.newBaseManager()) {
            SafetensorsWriter.write(dir.resolve("adapter_model.safetensors"), Map.of(
                    "base_model.model.q_proj.lora_A.weight", a,
                    "base_model.model.q_proj.lora_B.weight", m.zeros(new Shape(4, 8))));
        }
        Files.writeString(dir.resolve("adapter_config.json"), BASE + "}");
        return dir;
    }

    @Test
    void integerBooleanAndNonFiniteTensorsAreRefused() throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            for (DataType t : new DataType[] {DataType.INT32, DataType.INT64, DataType.BOOLEAN, DataType.UINT8}) {
                Path dir = adapterWith(m.ones(new Shape(8, 4)).toType(t, false));
                PeftFormatException e = assertThrows(PeftFormatException.class, () -> AdapterDirectory.readForLoading(dir));
                assertEquals("base_model.model.q_proj.lora_A.weight", e.key(), e.getMessage());
                assertTrue(e.getMessage().contains("floating point"), e.getMessage());
            }
            for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
                NDArray a = m.ones(new Shape(8, 4));
                a.set(new ai.djl.ndarray.index.NDIndex("3, 2"), bad);
                Path dir = adapterWith(a);
                AdapterDirectory.Contents c = AdapterDirectory.readForLoading(dir);
                PeftException e = assertThrows(PeftFormatException.class, () -> c.loadTensors(m));
                assertTrue(e.getMessage().contains("lora_A") && e.getMessage().contains("finite"), e.getMessage());
            }
        }
    }
}
