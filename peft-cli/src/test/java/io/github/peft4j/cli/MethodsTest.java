package io.github.peft4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MethodsTest {

    /** {@code train --help} lists the per-method default learning rates: the list must be the one used. */
    @Test
    void helpTextListsTheDefaultLearningRatesInUse() {
        Map<String, Double> listed = new LinkedHashMap<>();
        for (String entry : Methods.DEFAULT_LRS.split(",\\s*")) {
            String[] methodAndRate = entry.trim().split(" ");
            for (String method : methodAndRate[0].split("/")) {
                listed.put(method, Double.parseDouble(methodAndRate[1]));
            }
        }
        assertEquals(Methods.SUPPORTED.size(), listed.size(), listed.toString());
        for (String method : Methods.SUPPORTED) {
            assertEquals(Methods.defaultLearningRate(method), listed.get(method), method);
        }
        assertThrows(UserError.class, () -> Methods.defaultLearningRate("adalora"));
    }
}
