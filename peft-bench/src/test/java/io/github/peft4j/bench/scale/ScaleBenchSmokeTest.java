package io.github.peft4j.bench.scale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.peft4j.core.PeftConfigException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real-scale benchmark end to end at the tiny Llama-3.2 shape (no timing is asserted). */
class ScaleBenchSmokeTest {

    @TempDir
    Path tmp;

    @Test
    void writesOnceThenLoadsTrainsSavesAndMerges() throws Exception {
        String[] args = {"--model", "llama-3.2-1b", "--tiny", "--cache", tmp.resolve("cache").toString(), "--out",
            tmp.resolve("out").toString(), "--max-shard-size", "20KB", "--targets", "all", "--rank", "4",
            "--steps", "2", "--seq", "16", "--threads", "1"};
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        PrintStream logStream = new PrintStream(log, true, StandardCharsets.UTF_8);
        JsonNode prepared = json(ScaleBench.run(ScaleOptions.parse(withPrepareOnly(args)), logStream));
        assertTrue(prepared.has("checkpoint_written_s"));
        assertTrue(prepared.get("checkpoint_files").toString().contains("model.safetensors.index.json"));

        JsonNode r = json(ScaleBench.run(ScaleOptions.parse(args), logStream));
        assertTrue(!r.has("checkpoint_written_s"), "cached: not written again");
        long params = DecoderTensors.parameterCount(DecoderTensors.of(PublishedModel.LLAMA_3_2_1B.tinyConfig()));
        assertEquals(params, r.get("params").asLong());
        assertEquals(0, r.get("missing_keys").asInt());
        assertEquals(0, r.get("unexpected_keys").asInt());
        // 2 layers × rank 4 × (q 64+64, k 64+16, v 64+16, o 64+64, gate/up 64+256 twice, down 256+64)
        assertEquals(2L * 4 * (128 + 80 + 80 + 128 + 320 + 320 + 320), r.get("params_trainable").asLong());
        assertEquals(2, r.get("losses").size());
        for (JsonNode loss : r.get("losses")) {
            assertTrue(Double.isFinite(loss.asDouble()));
        }
        assertEquals(4 * params / (1024.0 * 1024.0), r.get("f32_weight_mib").asDouble(), 1e-9);
        assertEquals(1.25 * 4 * params / (1024.0 * 1024.0) + 1024, r.get("peak_rss_target_mib").asDouble(), 1e-6);
        assertTrue(Files.isRegularFile(tmp.resolve("out/adapter/adapter_model.safetensors")));
        assertTrue(Files.isRegularFile(tmp.resolve("out/adapter/adapter_config.json")));
        assertTrue(r.get("merge_s").asDouble() >= 0);
    }

    @Test
    void flagsAreChecked() {
        ScaleOptions o = ScaleOptions.parse("--model", "qwen2.5-0.5b");
        assertEquals(Path.of("runs/scale-checkpoints/qwen2.5-0.5b"), o.checkpointDir());
        assertEquals(List.of("q_proj", "v_proj"), o.targetModules());
        assertEquals(256, o.seq());
        assertEquals(5, o.steps());
        assertEquals(16, o.rank());
        assertEquals(5_000_000_000L, o.maxShardBytes());
        org.junit.jupiter.api.Assertions.assertThrows(PeftConfigException.class,
                () -> ScaleOptions.parse("--model", "qwen2.5-0.5b", "--targets", "some"));
        org.junit.jupiter.api.Assertions.assertThrows(PeftConfigException.class, () -> ScaleOptions.parse("--seq", "8"));
    }

    @Test
    void chunkedHeadLossByDefaultWithTheFullLossesValues() throws Exception {
        String[] common = {"--model", "qwen2.5-0.5b", "--tiny", "--cache", tmp.resolve("cache").toString(),
            "--rank", "4", "--steps", "3", "--seq", "24", "--batch", "2", "--threads", "1", "--lr", "1e-2"};
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        ScaleBench.run(ScaleOptions.parse(withPrepareOnly(common)), quiet);
        JsonNode chunked = json(ScaleBench.run(ScaleOptions.parse(with(common, "--out", tmp.resolve("c").toString())),
                quiet));
        JsonNode full = json(ScaleBench.run(ScaleOptions.parse(with(common, "--out", tmp.resolve("f").toString(),
                "--head-loss", "full")), quiet));
        assertEquals("ChunkedCausalLmLoss(64 rows)", chunked.get("head_loss").asText());
        assertEquals("full", full.get("head_loss").asText());
        assertEquals(3, chunked.get("losses").size());
        for (int i = 0; i < 3; i++) {
            assertEquals(full.get("losses").get(i).asDouble(), chunked.get("losses").get(i).asDouble(), 1e-5,
                    "step " + i);
        }
        org.junit.jupiter.api.Assertions.assertThrows(PeftConfigException.class,
                () -> ScaleOptions.parse("--model", "qwen2.5-0.5b", "--head-loss", "fused"));
    }

    private static String[] with(String[] args, String... more) {
        String[] out = java.util.Arrays.copyOf(args, args.length + more.length);
        System.arraycopy(more, 0, out, args.length, more.length);
        return out;
    }

    private static String[] withPrepareOnly(String[] args) {
        String[] out = java.util.Arrays.copyOf(args, args.length + 1);
        out[args.length] = "--prepare-only";
        return out;
    }

    private static JsonNode json(Object result) throws Exception {
        ObjectMapper mapper = new ObjectMapper();
        return mapper.readTree(mapper.writeValueAsString(result));
    }
}
