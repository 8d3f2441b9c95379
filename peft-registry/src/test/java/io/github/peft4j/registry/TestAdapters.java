package io.github.peft4j.registry;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/** Adapter directories and eval reports for registry tests (the test tuner TEST_DELTA from peft-core's test-jar). */
final class TestAdapters {

    private TestAdapters() {}

    /**
     * @return a directory with a TEST_DELTA config of rank r and {@code bytes} seeded weight bytes
     *     (the registry never parses the weights, only hashes and copies them)
     */
    static Path write(Path dir, int r, long seed, int bytes) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("adapter_config.json"),
                "{\"peft_type\": \"TEST_DELTA\", \"r\": " + r + ", \"target_modules\": [\"q_proj\", \"v_proj\"]}");
        byte[] weights = new byte[bytes];
        new Random(seed).nextBytes(weights);
        Files.write(dir.resolve("adapter_model.safetensors"), weights);
        return dir;
    }

    /** @return an eval report in peft4j train's report.json shape */
    static JsonNode report(double domainBase, double domainAdapted, double generalBase, double generalAdapted) {
        String json = String.format(java.util.Locale.ROOT, "{\"domain\": {\"before\": {\"perplexity\": %s, \"token_accuracy\": 0.05},"
                + " \"after\": {\"perplexity\": %s, \"token_accuracy\": 0.6}}, \"general\": {\"before\": {\"perplexity\": %s},"
                + " \"after\": {\"perplexity\": %s}}}", domainBase, domainAdapted, generalBase, generalAdapted);
        return Json.parse(json);
    }
}
