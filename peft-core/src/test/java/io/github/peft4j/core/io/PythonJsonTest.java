package io.github.peft4j.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PythonJsonTest {

    /** Expected strings are what CPython 3 prints for repr(float(x)). */
    @ParameterizedTest
    @CsvSource({
        "0.05, 0.05", "0.0, 0.0", "16, 16.0", "1e-05, 1e-05", "0.0001, 0.0001", "1.5e-4, 0.00015",
        "1e16, 1e+16", "1234567890123456.0, 1234567890123456.0", "12345678901234567.0, 1.2345678901234568e+16",
        "0.1, 0.1", "-2.5, -2.5", "3.0e-7, 3e-07", "6.02e23, 6.02e+23", "0.3333333333333333, 0.3333333333333333"
    })
    void floatsAreWrittenAsPythonRepr(double value, String python) {
        assertEquals(python, PythonJson.pythonFloat(value));
    }

    @Test
    void negativeZeroAndSpecials() {
        assertEquals("-0.0", PythonJson.pythonFloat(-0.0));
        assertEquals("NaN", PythonJson.pythonFloat(Double.NaN));
        assertEquals("Infinity", PythonJson.pythonFloat(Double.POSITIVE_INFINITY));
    }

    @Test
    void layoutIsJsonDumpsIndent2SortKeys() throws Exception {
        JsonNode tree = PythonJson.mapper().readTree(
                "{\"b\": [1, \"x\"], \"a\": {}, \"c\": [], \"d\": {\"z\": 0.5, \"y\": null}, \"e\": \"caf\u00e9\", \"f\": true}");
        // json.dumps(..., indent=2, sort_keys=True) in CPython 3.11
        assertEquals("{\n"
                + "  \"a\": {},\n"
                + "  \"b\": [\n"
                + "    1,\n"
                + "    \"x\"\n"
                + "  ],\n"
                + "  \"c\": [],\n"
                + "  \"d\": {\n"
                + "    \"y\": null,\n"
                + "    \"z\": 0.5\n"
                + "  },\n"
                + "  \"e\": \"caf\\u00e9\",\n"
                + "  \"f\": true\n"
                + "}", PythonJson.write(tree));
    }
}
