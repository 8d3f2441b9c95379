package io.github.peft4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Runs the benchmark for two steps on tiny models and checks its JSON line (no timing is asserted). */
class TrainBenchSmokeTest {

    private static final String[] TINY = {"--vocab", "64", "--dim", "32", "--layers", "2", "--heads", "4", "--seq",
        "16", "--batch", "2", "--warmup", "1", "--steps", "2", "--threads", "1", "--quiet"};

    private static JsonNode runJson(String... extra) throws Exception {
        String[] args = new String[TINY.length + extra.length];
        System.arraycopy(TINY, 0, args, 0, TINY.length);
        System.arraycopy(extra, 0, args, TINY.length, extra.length);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Map<String, Object> result = TrainBench.run(BenchOptions.parse(args),
                new PrintStream(log, true, StandardCharsets.UTF_8));
        String line = new ObjectMapper().writeValueAsString(result);
        assertTrue(!line.contains("\n"), "one line");
        return new ObjectMapper().readTree(line);
    }

    @Test
    void loraOnLlamaReportsThePeersFieldsAndAdapterOnlyState() throws Exception {
        JsonNode r = runJson("--arch", "llama", "--targets", "qv", "--rank", "4");
        assertEquals("lora-qv", r.get("variant").asText());
        assertEquals(2, r.get("steps").asInt());
        // ffn default: 8/3 * 32 = 85 -> rounded up to 96
        assertEquals(96, r.get("ffn").asInt());
        // 2 layers x (q, v) x rank 4 x (32 in + 32 out)
        long lora = 2L * 2 * 4 * (32 + 32);
        assertEquals(lora, r.get("params_trainable").asLong());
        assertEquals(4, r.get("lora_wrapped").asInt());
        // embed 64x32 + per layer (4 x 32x32 attention + 3 x 32x96 MLP + 2 norms) + norm 32 + head 64x32
        long base = 64 * 32 + 2L * (4 * 32 * 32 + 3 * 32 * 96 + 2 * 32) + 32 + 64 * 32;
        assertEquals(base, r.get("params_base").asLong());
        assertEquals(base + lora, r.get("params_total").asLong());
        // AdamW keeps two float32 moments per trainable value, gradients one
        assertEquals(2 * 4 * lora, r.get("optimizer_state_bytes").asLong());
        assertEquals(4 * lora, r.get("gradient_bytes").asLong());
        assertEquals(1, r.get("threads").asInt());
        assertTrue(r.get("tokens_per_s").asDouble() > 0);
        assertTrue(r.get("ms_per_step_median").asDouble() >= r.get("ms_per_step_min").asDouble());
        assertTrue(r.get("peak_rss_mib").asDouble() > 0);
        assertTrue(Double.isFinite(r.get("loss_final").asDouble()));
        // random tokens over 64 ids: the loss of an untrained model is near ln(64)
        assertEquals(Math.log(64), r.get("loss_first").asDouble(), 0.5);
        assertEquals("2.7.1", r.get("libtorch_version").asText());
    }

    @Test
    void floorsAndFullFineTuningOnGpt2() throws Exception {
        JsonNode fwd = runJson("--arch", "gpt2", "--mode", "fwd");
        assertEquals("frozen", fwd.get("variant").asText());
        assertEquals(0, fwd.get("params_trainable").asLong());
        assertEquals(0, fwd.get("optimizer_state_bytes").asLong());

        JsonNode fwdbwd = runJson("--arch", "gpt2", "--mode", "fwdbwd");
        // only the token-embedding table takes a gradient (vocab x dim), standing in for the embedding output
        assertEquals(64 * 32, fwdbwd.get("params_trainable").asLong());

        JsonNode full = runJson("--arch", "gpt2", "--full");
        assertEquals("full", full.get("variant").asText());
        assertEquals(full.get("params_total").asLong(), full.get("params_trainable").asLong());
        assertEquals(8 * full.get("params_total").asLong(), full.get("optimizer_state_bytes").asLong());
    }
}
