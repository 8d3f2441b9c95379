package io.github.peft4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.peft4j.core.fingerprint.BaseModelFingerprint;
import io.github.peft4j.core.testing.ResidentMemory;
import io.github.peft4j.registry.AdapterRegistry;
import io.github.peft4j.registry.Lineage;
import io.github.peft4j.registry.PromotionRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 24's serving soak: concurrent greedy requests over four directory adapters, a registry alias
 * ({@code support@production}) promoted back and forth between two versions, an adapter loaded and
 * unloaded over and over, and the base model, on one server (127.0.0.1, a free port). Every reply is
 * the text its version gives when it is the only request, bit for bit (the version it ran on is in
 * {@code X-Peft4j-Version}); only the unloaded adapter may be missing (404); between the end of the
 * warm-up and the end, VmRSS and resident memory outside the Java heap (both after a GC, once G1 has
 * released the freed heap: {@link ResidentMemory}) grow by less than 64 MiB + 10 %, and the Java heap
 * in use by less than 64 MiB.
 * {@code mvn verify}: 160 requests (at most 120 s of load). {@code -Pfuzz}: 4,000 requests (at most
 * 30 minutes).
 */
class ServeSoakTest {

    private static final boolean LONG = Boolean.getBoolean("peft4j.fuzz");
    private static final int REQUESTS = LONG ? 4_000 : 160;
    private static final Duration LOAD_LIMIT = LONG ? Duration.ofMinutes(30) : Duration.ofSeconds(120);
    private static final List<String> PROMPTS = List.of("Where is my order? It should have", "Can I return a jacket after");
    private static final List<String> DIRECTORY_TENANTS = List.of("t0", "t1", "t2", "t3");
    private static final String HOT = "hot";

    @TempDir
    Path root;

    @Test
    @Timeout(value = 45, unit = TimeUnit.MINUTES)
    void manyTenantsUnderLoadGetTheirSingleTenantTextAndMemoryStaysFlat() throws Exception {
        Path adapters = Files.createDirectories(root.resolve("adapters"));
        ServeFixtures.loraAdapters(adapters, List.of("t0", "t1", "t2", "t3", "hot-source", "s1", "s2"), 300);
        AdapterRegistry registry = AdapterRegistry.open(root.resolve("registry"));
        Lineage lineage = Lineage.builder().baseFingerprint(BaseModelFingerprint.of(ServeFixtures.BASE).value()).build();
        registry.push("support", adapters.resolve("s1"), lineage);
        registry.push("support", adapters.resolve("s2"), lineage);
        registry.promote("support:1", "production", PromotionRequest.ungated("soak"));
        ServeConfig config = ServeConfig.builder(ServeFixtures.BASE).adapterRoot(adapters)
                .registry(registry, root.resolve("cache")).port(0).maxBatch(8).workers(2).adapterMemory(8, 64L << 20).build();
        try (PeftServer server = PeftServer.start(config)) {
            Map<String, String> alone = singleTenantTexts(server, adapters);

            List<String> models = new ArrayList<>(DIRECTORY_TENANTS);
            models.addAll(List.of("support@production", HOT, "base-model"));
            AtomicInteger next = new AtomicInteger();
            AtomicInteger done = new AtomicInteger();
            AtomicInteger missing = new AtomicInteger();
            AtomicReference<ResidentMemory> warm = new AtomicReference<>();
            AtomicBoolean stop = new AtomicBoolean();
            Map<String, Integer> served = new ConcurrentHashMap<>();
            long deadline = System.nanoTime() + LOAD_LIMIT.toNanos();
            long start = System.nanoTime();
            ExecutorService pool = Executors.newFixedThreadPool(10);
            try {
                List<Future<?>> work = new ArrayList<>();
                for (int c = 0; c < 8; c++) {
                    work.add(pool.submit(() -> {
                        for (int i = next.getAndIncrement(); i < REQUESTS && System.nanoTime() < deadline; i = next.getAndIncrement()) {
                            String model = models.get(i % models.size());
                            String prompt = PROMPTS.get((i / models.size()) % PROMPTS.size());
                            ServeFixtures.Reply r = ServeFixtures.post(server, "/v1/completions",
                                    ServeFixtures.greedy(model, prompt, 6), null);
                            if (r.status() == 404 && model.equals(HOT)) {
                                missing.incrementAndGet();
                            } else {
                                assertEquals(200, r.status(), model + ": " + r.text());
                                String key = r.version() + "|" + prompt;
                                assertTrue(alone.containsKey(key), model + " ran on " + r.version() + ", not a known version");
                                assertEquals(alone.get(key), r.completion(), model + " on " + r.version() + ", prompt '" + prompt + "'");
                                served.merge(r.version(), 1, Integer::sum);
                            }
                            if (done.incrementAndGet() == REQUESTS / 5) {
                                warm.set(ResidentMemory.afterGc());
                            }
                        }
                        return null;
                    }));
                }
                work.add(pool.submit(() -> churn(server, registry, adapters, stop)));
                for (int i = 0; i < 8; i++) {
                    work.get(i).get(LOAD_LIMIT.toMinutes() + 5, TimeUnit.MINUTES);
                }
                stop.set(true);
                work.get(8).get(2, TimeUnit.MINUTES);
            } finally {
                stop.set(true);
                pool.shutdownNow();
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            ResidentMemory end = ResidentMemory.afterGc();
            long growthKib = end.rssKib() - warm.get().rssKib();
            long outsideHeapGrowthKib = end.outsideHeapKib() - warm.get().outsideHeapKib();
            System.out.printf("serve soak: %d requests in %.1f s (%d of them to the unloaded adapter: 404), %d versions served,"
                    + " %d adapter loads; after warm-up %s; at the end %s; VmRSS %+d KiB (%+.2f %%), outside the heap %+d KiB%n",
                    done.get(), seconds, missing.get(), served.size(), server.scheduler().cache().loads(), warm.get(), end,
                    growthKib, 100.0 * growthKib / warm.get().rssKib(), outsideHeapGrowthKib);
            assertTrue(done.get() >= Math.min(REQUESTS, 100), "too few requests ran: " + done.get());
            assertTrue(served.keySet().containsAll(List.of("support:1", "support:2")), "the alias moved under load: " + served);
            assertTrue(growthKib < (64 << 10) + warm.get().rssKib() / 10, "VmRSS grew " + growthKib + " KiB after warm-up");
            assertTrue(outsideHeapGrowthKib < (64 << 10) + warm.get().outsideHeapKib() / 10,
                    "memory outside the Java heap grew " + outsideHeapGrowthKib + " KiB after warm-up");
            assertTrue(end.heapUsedKib() - warm.get().heapUsedKib() < (64 << 10),
                    "the Java heap in use grew from " + warm.get().heapUsedKib() + " to " + end.heapUsedKib() + " KiB");
            assertTrue(server.scheduler().cache().size() <= 8, "resident adapters: " + server.scheduler().cache().size());
        }
    }

    /** Alias moves and unload/load cycles until told to stop. */
    private static Void churn(PeftServer server, AdapterRegistry registry, Path adapters, AtomicBoolean stop) throws Exception {
        for (int round = 0; !stop.get(); round++) {
            registry.promote(round % 2 == 0 ? "support:2" : "support:1", "production", PromotionRequest.ungated("soak"));
            String body = ServeFixtures.JSON.createObjectNode().put("lora_name", HOT).toString();
            assertEquals(200, ServeFixtures.post(server, "/v1/unload_lora_adapter", body, null).status());
            Thread.sleep(20);
            assertEquals(200, load(server, adapters.resolve("hot-source")).status());
            Thread.sleep(80);
        }
        return null;
    }

    /** @return version|prompt → the text of that version when it is the only request */
    private static Map<String, String> singleTenantTexts(PeftServer server, Path adapters) {
        assertEquals(200, load(server, adapters.resolve("hot-source")).status());
        Map<String, String> alone = new ConcurrentHashMap<>();
        List<String> models = new ArrayList<>(DIRECTORY_TENANTS);
        models.addAll(List.of("support:1", "support:2", HOT, "base-model"));
        for (String model : models) {
            for (String prompt : PROMPTS) {
                ServeFixtures.Reply r = ServeFixtures.post(server, "/v1/completions", ServeFixtures.greedy(model, prompt, 6), null);
                assertEquals(200, r.status(), r.text());
                alone.put(r.version() + "|" + prompt, r.completion());
            }
        }
        assertTrue(alone.values().stream().distinct().count() >= 8, "the adapters must change the text: " + alone);
        return alone;
    }

    private static ServeFixtures.Reply load(PeftServer server, Path dir) {
        String body = ServeFixtures.JSON.createObjectNode().put("lora_name", HOT).put("lora_path", dir.toString())
                .put("load_inplace", true).toString();
        return ServeFixtures.post(server, "/v1/load_lora_adapter", body, null);
    }
}
