package io.github.peft4j.core.hooks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.util.PairList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class ForwardContextTest {

    private static ForwardContext routing(String... names) {
        return ForwardContext.empty().with(AdapterRouting.KEY, new AdapterRouting(List.of(names)));
    }

    @Test
    void paramsWinOverTheThreadAndScopesRestore() {
        ForwardContext outer = routing("a");
        ForwardContext inner = routing("b");
        assertTrue(ForwardContext.current(null).isEmpty());
        try (ForwardContext.Scope s1 = outer.activate()) {
            assertEquals(List.of("a"), names(ForwardContext.current(null)));
            assertEquals(List.of("b"), names(ForwardContext.current(inner.addTo(null))));
            try (ForwardContext.Scope s2 = inner.activate()) {
                assertEquals(List.of("b"), names(ForwardContext.current(new PairList<>())));
            }
            assertEquals(List.of("a"), names(ForwardContext.current(null)));
        }
        assertTrue(ForwardContext.current(null).isEmpty());
    }

    @Test
    void addToKeepsOtherParamsAndReplacesAnOldContext() {
        PairList<String, Object> params = new PairList<>();
        params.add("other", 42);
        PairList<String, Object> once = routing("a").addTo(params);
        PairList<String, Object> twice = routing("b").addTo(once);
        assertEquals(42, twice.get("other"));
        assertEquals(2, twice.size());
        assertEquals(List.of("b"), names(ForwardContext.current(twice)));
        assertEquals(1, params.size(), "the caller's params are not modified");
    }

    @Test
    void eachThreadSeesItsOwnContext() throws Exception {
        CountDownLatch bothActive = new CountDownLatch(2);
        CompletableFuture<List<String>> t1 = CompletableFuture.supplyAsync(() -> seenWhileActive(routing("t1"), bothActive));
        CompletableFuture<List<String>> t2 = CompletableFuture.supplyAsync(() -> seenWhileActive(routing("t2"), bothActive));
        assertEquals(List.of("t1"), t1.get());
        assertEquals(List.of("t2"), t2.get());
    }

    private static List<String> seenWhileActive(ForwardContext ctx, CountDownLatch latch) {
        try (ForwardContext.Scope s = ctx.activate()) {
            latch.countDown();
            latch.await();
            return names(ForwardContext.current(null));
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<String> names(ForwardContext ctx) {
        return ctx.get(AdapterRouting.KEY).orElseThrow().adapterNames();
    }
}
