package io.github.peft4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Runs the serving benchmark on a few short requests and checks its fields (no timing is asserted). */
class ServeBenchSmokeTest {

    @Test
    @SuppressWarnings("unchecked")
    void reportsThreeScenariosAtTheSameBatchSize() throws Exception {
        Map<String, Object> r = ServeBench.run("--model", "../assets/base-model", "--requests", "8", "--batch", "4",
                "--max-tokens", "3", "--adapters", "4");
        for (String scenario : new String[] {"mixed", "single_adapter", "base"}) {
            Map<String, Object> s = (Map<String, Object>) r.get(scenario);
            assertEquals(24L, s.get("tokens"), scenario + " " + s);   // 8 requests x 3 tokens (ignore_eos)
            assertTrue((double) s.get("p99_ms") >= (double) s.get("p50_ms"), scenario + " " + s);
        }
        assertEquals(4, r.get("batch"));
        assertTrue((double) r.get("mixed_over_base") > 0);
    }
}
