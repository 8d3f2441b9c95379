package io.github.peft4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 18's hot swap under load: 200 requests while {@code swap} is reloaded 10 times, alternating
 * two versions: no request fails, each names the version it ran on, and its text is that version's.
 */
class HotSwapTest {

    @TempDir
    Path root;

    // both decode paths: rows batched into one forward per step (when the probe passes) and each row alone
    @ParameterizedTest(name = "batched decode {0}")
    @ValueSource(booleans = {true, false})
    void swapsApplyToNewRequestsWhileRequestsInFlightFinishOnTheirVersion(boolean batchedDecode) throws Exception {
        ServeFixtures.loraAdapters(root, List.of("v1", "v2"), 7);
        ServeConfig config = ServeConfig.builder(ServeFixtures.BASE).adapterRoot(root).port(0).batchedDecode(batchedDecode).maxBatch(8)
                .workers(2).build();
        String prompt = "Can I return a jacket after";
        try (PeftServer server = PeftServer.start(config)) {
            Map<String, String> textOf = new HashMap<>();
            for (String v : List.of("v1", "v2")) {
                ServeFixtures.Reply r = ServeFixtures.post(server, "/v1/completions", ServeFixtures.greedy(v, prompt, 8), null);
                assertEquals(200, r.status(), r.text());
                textOf.put(r.version().replace("dir:" + v, "dir:swap"), r.completion());
            }
            assertNotEquals(textOf.get(versionOf(textOf, 0)), textOf.get(versionOf(textOf, 1)));
            assertEquals(200, load(server, "swap", root.resolve("v1")).status());

            ExecutorService clients = Executors.newFixedThreadPool(8);
            AtomicInteger sent = new AtomicInteger();
            List<Future<ServeFixtures.Reply>> replies = new ArrayList<>();
            try {
                for (int i = 0; i < 200; i++) {
                    replies.add(clients.submit(() -> {
                        sent.incrementAndGet();
                        return ServeFixtures.post(server, "/v1/completions", ServeFixtures.greedy("swap", prompt, 8), null);
                    }));
                }
                for (int swap = 1; swap <= 10; swap++) {
                    int target = swap;
                    while (sent.get() < target * 18) {
                        Thread.sleep(5);
                    }
                    assertEquals(200, load(server, "swap", root.resolve(swap % 2 == 1 ? "v2" : "v1")).status());
                }
                Map<String, Integer> served = new HashMap<>();
                for (Future<ServeFixtures.Reply> f : replies) {
                    ServeFixtures.Reply r = f.get(120, TimeUnit.SECONDS);
                    assertEquals(200, r.status(), r.text());
                    assertTrue(textOf.containsKey(r.version()), "served " + r.version() + ", not one of " + textOf.keySet());
                    assertEquals(textOf.get(r.version()), r.completion(), "text of " + r.version());
                    served.merge(r.version(), 1, Integer::sum);
                }
                assertEquals(2, served.size(), "both versions served: " + served);
            } finally {
                clients.shutdownNow();
            }
            // the retired version is freed once its requests ended: v1 (now served) and v2 (its own name) remain
            assertTrue(server.scheduler().cache().size() <= 2, "resident: " + server.scheduler().cache().size());
        }
    }

    private static String versionOf(Map<String, String> m, int i) {
        return new ArrayList<>(m.keySet()).get(i);
    }

    private static ServeFixtures.Reply load(PeftServer server, String name, Path dir) {
        String body = ServeFixtures.JSON.createObjectNode().put("lora_name", name).put("lora_path", dir.toString())
                .put("load_inplace", true).toString();
        return ServeFixtures.post(server, "/v1/load_lora_adapter", body, null);
    }
}
