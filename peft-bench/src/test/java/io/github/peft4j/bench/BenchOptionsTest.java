package io.github.peft4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.peft4j.core.PeftConfigException;
import org.junit.jupiter.api.Test;

class BenchOptionsTest {

    @Test
    void defaultsAreThePeers() {
        BenchOptions o = BenchOptions.parse();
        assertEquals("llama", o.arch());
        assertEquals(2048, o.vocab());
        assertEquals(688, o.ffn()); // ceil(8*256/3 / 16) * 16
        assertEquals(30, o.steps());
        assertEquals(5, o.warmup());
        assertEquals("lora-qv", o.variant());
        assertEquals(1376, BenchOptions.parse("--dim", "512").ffn());
        assertEquals(1024, BenchOptions.parse("--arch", "gpt2").ffn());
        assertEquals(100, BenchOptions.parse("--ffn", "100").ffn());
        assertEquals("full", BenchOptions.parse("--full").variant());
        assertEquals("frozen", BenchOptions.parse("--mode", "fwdbwd").variant());
    }

    @Test
    void badFlagsAreNamed() {
        PeftConfigException e = assertThrows(PeftConfigException.class, () -> BenchOptions.parse("--dimm", "3"));
        assertTrue(e.getMessage().contains("--dimm"), e.getMessage());
        e = assertThrows(PeftConfigException.class, () -> BenchOptions.parse("--arch", "bert"));
        assertTrue(e.getMessage().contains("llama|gpt2"), e.getMessage());
        e = assertThrows(PeftConfigException.class, () -> BenchOptions.parse("--mode", "fwd", "--full"));
        assertTrue(e.getMessage().contains("--full"), e.getMessage());
        e = assertThrows(PeftConfigException.class, () -> BenchOptions.parse("--dim", "30", "--heads", "4"));
        assertTrue(e.getMessage().contains("multiple"), e.getMessage());
        assertThrows(PeftConfigException.class, () -> BenchOptions.parse("--steps"));
    }
}
