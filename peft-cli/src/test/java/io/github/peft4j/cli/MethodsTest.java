package io.github.peft4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class MethodsTest {

    /** Every method has a default rate, read from the table {@code train --help} prints. */
    @Test
    void everyMethodHasTheDefaultLearningRateItsHelpShows() {
        assertEquals(5e-3, Methods.defaultLearningRate("lora"));
        assertEquals(5e-3, Methods.defaultLearningRate("DoRA"));
        assertEquals(3e-2, Methods.defaultLearningRate("ia3"));
        assertEquals(1e-2, Methods.defaultLearningRate("bottleneck"));
        assertEquals(3e-2, Methods.defaultLearningRate("bitfit"));
        assertEquals(1e-1, Methods.defaultLearningRate("prefix"));
        assertEquals(1e-1, Methods.defaultLearningRate("prompt"));
        assertEquals(3e-2, Methods.defaultLearningRate("ptuning"));
        for (String method : Methods.SUPPORTED) {
            assertEquals(true, Methods.defaultLearningRate(method) > 0, method);
        }
        UserError e = assertThrows(UserError.class, () -> Methods.defaultLearningRate("adalora"));
        assertEquals("unknown --method adalora; expected one of " + Methods.SUPPORTED, e.getMessage());
    }
}
