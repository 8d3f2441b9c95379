package io.github.peft4j.mkl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.engine.EngineException;
import org.junit.jupiter.api.Test;

class MklEarlyHookTest {

    @Test
    void djlDiscoversTheHookButNeverChoosesIt() {
        assertTrue(Engine.getAllEngines().contains(MklEarlyHook.NAME), Engine.getAllEngines().toString());
        assertEquals("PyTorch", Engine.getDefaultEngineName());
        assertEquals("PyTorch", Engine.getInstance().getEngineName());
        assertThrows(EngineException.class, () -> Engine.getEngine(MklEarlyHook.NAME));
    }

    @Test
    void discoveryAppliedTheFix() {
        Engine.getInstance();
        assertNotEquals(MklAmdFix.Status.NOT_ATTEMPTED, MklAmdFix.status());
        assertEquals(MklAmdFix.status(), MklAmdFix.apply(), "applied once; later calls report the first outcome");
    }
}
