package io.github.peft4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 18's memory bound: 100 adapters through an LRU of 8; resident bytes never above the bound; pins stay. */
class AdapterMemoryTest {

    @TempDir
    Path root;

    @Test
    void residentAdapterBytesNeverExceedTheBound() throws Exception {
        List<String> names = IntStream.range(0, 100).mapToObj(i -> "a" + i).toList();
        ServeFixtures.loraAdapters(root, names, 1000);
        long perAdapter = Files.size(root.resolve("a0/adapter_model.safetensors"));
        long bound = 6 * perAdapter;   // bytes allow 6, the count allows 8: the byte bound decides
        ServeConfig config = ServeConfig.builder(ServeFixtures.BASE).adapterRoot(root).port(0).maxBatch(4)
                .adapterMemory(8, bound).pin("a0").build();
        try (PeftServer server = PeftServer.start(config)) {
            ExecutorService clients = Executors.newFixedThreadPool(4);
            try {
                List<Future<ServeFixtures.Reply>> replies = names.stream().map(n -> clients.submit(() ->
                        ServeFixtures.post(server, "/v1/completions", ServeFixtures.greedy(n, "Hello", 2), null))).toList();
                for (Future<ServeFixtures.Reply> f : replies) {
                    assertEquals(200, f.get(120, TimeUnit.SECONDS).status());
                }
            } finally {
                clients.shutdownNow();
            }
            var cache = server.scheduler().cache();
            assertTrue(cache.peakResidentBytes() <= bound, cache.peakResidentBytes() + " > " + bound);
            assertTrue(cache.size() <= 6, "resident " + cache.size());
            assertTrue(cache.loads() >= 100, "loads " + cache.loads());
            // the pinned adapter was never evicted: using it again loads nothing
            long loads = cache.loads();
            assertEquals(200, ServeFixtures.post(server, "/v1/completions", ServeFixtures.greedy("a0", "Hello", 2), null).status());
            assertEquals(loads, cache.loads());
            // an evicted one is loaded again on use
            assertEquals(200, ServeFixtures.post(server, "/v1/completions", ServeFixtures.greedy("a1", "Hello", 2), null).status());
            assertEquals(loads + 1, cache.loads());
            assertTrue(cache.peakResidentBytes() <= bound);
        }
    }
}
