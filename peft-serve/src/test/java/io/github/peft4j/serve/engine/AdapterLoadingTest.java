package io.github.peft4j.serve.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.models.HfModels;
import io.github.peft4j.models.PretrainedModel;
import io.github.peft4j.models.tokenizer.HfTokenizer;
import io.github.peft4j.serve.ApiException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Adapter versions are prepared on loader threads: while one load is held (a hook blocked on a
 * latch), requests on other adapters complete; the held requests then complete with their adapter's
 * text; a load that fails ends each request waiting for it with OpenAI's error, and serving goes on.
 */
class AdapterLoadingTest {

    @TempDir
    Path tmp;

    @Test
    void aHeldLoadStallsOnlyItsOwnRequestsAndAFailedLoadIsAnErrorForEachOfThem() throws Exception {
        try (NDManager m = NDManager.newBaseManager(); PretrainedModel base = HfModels.load(EngineFixtures.BASE, m)) {
            HfTokenizer tokenizer = base.tokenizer().orElseThrow();
            Target fast = EngineFixtures.lora(base, tmp.resolve("fast"), 5);
            Target slow = EngineFixtures.lora(base, tmp.resolve("slow"), 6);
            Target broken = EngineFixtures.lora(base, tmp.resolve("broken"), 7);
            try (RandomAccessFile f = new RandomAccessFile(broken.dir().resolve("adapter_model.safetensors").toFile(), "rw")) {
                f.setLength(f.length() / 2);   // a header that promises more bytes than the file holds
            }
            PeftModel model = PeftModel.wrap(base.block());
            CountDownLatch held = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            CountDownLatch heldBroken = new CountDownLatch(1);
            CountDownLatch releaseBroken = new CountDownLatch(1);
            long[] prompt = tokenizer.encode("Can I return a jacket after");
            AdapterCache cache = EngineFixtures.cache(model, t -> {
                if (t == slow) {
                    hold(held, release);
                } else if (t == broken) {
                    hold(heldBroken, releaseBroken);
                }
            });
            try (Scheduler s = EngineFixtures.scheduler(model, tokenizer, cache, 4, 512)) {
                String fastText = EngineFixtures.complete(s, EngineFixtures.request("f1", fast, prompt,
                        EngineFixtures.exactly(8))).text();

                GenerationRequest waiting = EngineFixtures.request("s1", slow, prompt, EngineFixtures.exactly(8));
                s.submit(waiting);
                assertTrue(held.await(60, TimeUnit.SECONDS), "the loader never started");
                // while the load is held: other adapters and the base are served, the waiting request counts as queued
                assertEquals(fastText, EngineFixtures.complete(s, EngineFixtures.request("f2", fast, prompt,
                        EngineFixtures.exactly(8))).text());
                Completion plain = EngineFixtures.complete(s, EngineFixtures.request("b1", Target.base("base-model",
                        "base"), prompt, EngineFixtures.exactly(8)));
                assertFalse(waiting.result().isDone(), "the held load's request finished early");
                assertEquals(1, s.waiting());
                long loads = s.cache().loads();
                release.countDown();
                Completion slowDone = waiting.result().get(60, TimeUnit.SECONDS);
                assertEquals(slow, slowDone.target());
                assertEquals(loads + 1, s.cache().loads());
                // its text is the adapter's own: the same as a request on the now resident version
                assertEquals(EngineFixtures.complete(s, EngineFixtures.request("s2", slow, prompt,
                        EngineFixtures.exactly(8))).text(), slowDone.text());
                assertNotEquals(fastText, slowDone.text());
                assertNotEquals(plain.text(), slowDone.text());

                // a failing load: both requests waiting for it end with adapter_load_failed
                GenerationRequest x1 = EngineFixtures.request("x1", broken, prompt, EngineFixtures.exactly(4));
                GenerationRequest x2 = EngineFixtures.request("x2", broken, prompt, EngineFixtures.exactly(4));
                s.submit(x1);
                assertTrue(heldBroken.await(60, TimeUnit.SECONDS), "the loader never started");
                s.submit(x2);
                releaseBroken.countDown();
                for (GenerationRequest x : new GenerationRequest[] {x1, x2}) {
                    ExecutionException e = assertThrows(ExecutionException.class, () -> x.result().get(60, TimeUnit.SECONDS));
                    ApiException api = assertInstanceOf(ApiException.class, e.getCause());
                    assertEquals(400, api.status());
                    assertEquals("invalid_request_error", api.type());
                    assertEquals("adapter_load_failed", api.code());
                    assertTrue(api.getMessage().contains(broken.version()), api.getMessage());
                }
                assertEquals(loads + 1, s.cache().loads());
                // and the engine goes on serving
                assertEquals(fastText, EngineFixtures.complete(s, EngineFixtures.request("f3", fast, prompt,
                        EngineFixtures.exactly(8))).text());
                assertTrue(Files.exists(broken.dir()));
            } finally {
                release.countDown();
                releaseBroken.countDown();
                cache.close();
            }
            model.unload();
        }
    }

    private static void hold(CountDownLatch held, CountDownLatch release) {
        held.countDown();
        try {
            if (!release.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the test never released the load");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
