package io.github.peft4j.core.targeting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.DatabindException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TargetModulesJsonTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A config-like holder: the field sits in an object as in adapter_config.json. */
    record Holder(TargetModules target_modules) { }

    @ParameterizedTest(name = "{0} -> {1} -> {2}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
        # JSON in                          | form       | JSON out
        "q_proj"                           | regex      | "q_proj"
        `".*[.](q_proj|v_proj)"`           | regex      | `".*[.](q_proj|v_proj)"`
        ".*\\\\.q_proj"                    | regex      | ".*\\\\.q_proj"
        ["q_proj","v_proj"]                | names      | ["q_proj","v_proj"]
        ["v_proj","q_proj"]                | names      | ["v_proj","q_proj"]
        []                                 | names      | []
        "all-linear"                       | all-linear | "all-linear"
        "ALL-LINEAR"                       | all-linear | "all-linear"
        "All-Linear"                       | all-linear | "all-linear"
        """)
    void roundTrip(String in, String form, String out) throws Exception {
        TargetModules t = JSON.readValue(in, TargetModules.class);
        assertEquals(form.equals("regex"), t.isRegex());
        assertEquals(form.equals("names"), t.isNames());
        assertEquals(form.equals("all-linear"), t.isAllLinear());
        String written = JSON.writeValueAsString(t);
        assertEquals(out, written);
        assertEquals(t, JSON.readValue(written, TargetModules.class));
    }

    @Test
    void regexStringKeepsItsBackslashes() throws Exception {
        TargetModules t = JSON.readValue("\".*\\\\.q_proj\"", TargetModules.class);
        assertEquals(".*\\.q_proj", t.regex());
        assertTrue(t.matches("model.layers.0.self_attn.q_proj"));
        assertFalse(t.matches("model.layers.0.self_attn_q_proj"));
    }

    @Test
    void listKeepsOrderAndValues() throws Exception {
        TargetModules t = JSON.readValue("[\"v_proj\",\"q_proj\",\"v_proj\"]", TargetModules.class);
        assertEquals(List.of("v_proj", "q_proj", "v_proj"), t.names());
        assertEquals(TargetModules.names("v_proj", "q_proj", "v_proj"), t);
        assertFalse(t.equals(TargetModules.names("q_proj", "v_proj", "v_proj")));
    }

    @Test
    void insideAConfigObjectAndNullStaysNull() throws Exception {
        Holder h = JSON.readValue("{\"target_modules\":[\"q_proj\",\"v_proj\"]}", Holder.class);
        assertEquals(TargetModules.names("q_proj", "v_proj"), h.target_modules());
        assertEquals("{\"target_modules\":\"all-linear\"}", JSON.writeValueAsString(new Holder(TargetModules.allLinear())));
        assertNull(JSON.readValue("{\"target_modules\":null}", Holder.class).target_modules());
    }

    @Test
    void rejectsOtherJsonShapes() {
        assertThrows(DatabindException.class, () -> JSON.readValue("42", TargetModules.class));
        assertThrows(DatabindException.class, () -> JSON.readValue("[\"q_proj\", 3]", TargetModules.class));
        assertThrows(DatabindException.class, () -> JSON.readValue("{\"a\":1}", TargetModules.class));
        assertThrows(DatabindException.class, () -> JSON.readValue("\"(unclosed\"", TargetModules.class));
    }

    @Test
    void factoriesAndAccessors() {
        assertSame(TargetModules.allLinear(), TargetModules.regex("All-Linear"));
        assertSame(TargetModules.allLinear(), TargetModules.fromString("all-linear"));
        assertEquals("q_proj", TargetModules.fromString("q_proj").regex());
        assertThrows(IllegalStateException.class, () -> TargetModules.regex("q_proj").names());
        assertThrows(IllegalStateException.class, () -> TargetModules.names("q_proj").regex());
        assertThrows(IllegalStateException.class, () -> TargetModules.allLinear().matches("lm_head"));
        assertThrows(IllegalArgumentException.class, () -> TargetModules.regex("[unclosed"));
        assertThrows(NullPointerException.class, () -> TargetModules.names("q_proj", null));
        List<String> source = new ArrayList<>(List.of("q_proj"));
        TargetModules t = TargetModules.names(source);
        source.add("v_proj");
        assertEquals(List.of("q_proj"), t.names());
        assertThrows(UnsupportedOperationException.class, () -> t.names().add("k_proj"));
    }

    @Test
    void equalityAndToString() {
        assertEquals(TargetModules.regex("q_proj"), TargetModules.regex("q_proj"));
        assertEquals(TargetModules.regex("q_proj").hashCode(), TargetModules.regex("q_proj").hashCode());
        assertFalse(TargetModules.regex("q_proj").equals(TargetModules.names("q_proj")));
        assertEquals("[\"q_proj\", \"v_proj\"]", TargetModules.names("q_proj", "v_proj").toString());
        assertEquals("\"all-linear\"", TargetModules.allLinear().toString());
        assertEquals("\".*\\\\.q_proj\"", TargetModules.regex(".*\\.q_proj").toString());
    }
}
