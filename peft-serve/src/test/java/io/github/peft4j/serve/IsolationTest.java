package io.github.peft4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/** Issue 18's isolation check: 64 concurrent greedy requests over 16 adapters, byte-equal to each adapter alone. */
class IsolationTest {

    @TempDir
    Path root;

    // both decode paths: rows batched into one forward per step (when the probe passes) and each row alone
    @ParameterizedTest(name = "batched decode {0}")
    @ValueSource(booleans = {true, false})
    void concurrentCompletionsEqualEachAdaptersSingleRequestCompletion(boolean batchedDecode) throws Exception {
        List<String> tenants = IntStream.range(0, 16).mapToObj(i -> "tenant" + i).toList();
        ServeFixtures.loraAdapters(root, tenants, 100);
        ServeConfig config = ServeConfig.builder(ServeFixtures.BASE).adapterRoot(root).port(0).batchedDecode(batchedDecode).maxBatch(16)
                .workers(2).adapterMemory(16, 64L << 20).build();
        try (PeftServer server = PeftServer.start(config)) {
            String prompt = "Where is my order? It should have";
            Map<String, String> alone = new HashMap<>();
            for (String t : tenants) {
                ServeFixtures.Reply r = ServeFixtures.post(server, "/v1/completions", ServeFixtures.greedy(t, prompt, 12), null);
                assertEquals(200, r.status(), r.text());
                alone.put(t, r.completion());
            }
            String base = ServeFixtures.post(server, "/v1/completions",
                    ServeFixtures.greedy("base-model", prompt, 12), null).completion();
            assertTrue(new HashSet<>(alone.values()).size() >= 8,
                    "the adapters must change the text for the check to mean anything: " + alone);
            assertTrue(alone.values().stream().anyMatch(t -> !t.equals(base)));

            ExecutorService clients = Executors.newFixedThreadPool(64);
            try {
                List<Future<ServeFixtures.Reply>> replies = new ArrayList<>();
                for (int i = 0; i < 64; i++) {
                    String t = tenants.get(i % 16);
                    replies.add(clients.submit(() -> ServeFixtures.post(server, "/v1/completions",
                            ServeFixtures.greedy(t, prompt, 12), null)));
                }
                int crossTenant = 0;
                for (int i = 0; i < 64; i++) {
                    ServeFixtures.Reply r = replies.get(i).get(120, TimeUnit.SECONDS);
                    assertEquals(200, r.status(), r.text());
                    if (!r.completion().equals(alone.get(tenants.get(i % 16)))) {
                        crossTenant++;
                    }
                }
                assertEquals(0, crossTenant, "completions that differ from their adapter's single-request completion");
            } finally {
                clients.shutdownNow();
            }
        }
    }
}
