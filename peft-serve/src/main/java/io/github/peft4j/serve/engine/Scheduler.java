package io.github.peft4j.serve.engine;

import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.hooks.AdapterRouting;
import io.github.peft4j.core.hooks.ForwardContext;
import io.github.peft4j.models.generation.SequenceDecoder;
import io.github.peft4j.models.tokenizer.HfTokenizer;
import io.github.peft4j.serve.ApiException;
import io.github.peft4j.serve.policy.PolicyHook;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Continuous batching across adapters (Orca's iteration-level scheduling, as vLLM and LoRAX do it):
 * one engine thread owns the shared model; at every step it admits waiting requests into free
 * slots of the running batch (prompt tokens per step bounded, so a burst of long prompts does not
 * stall the sequences already decoding), then advances every running sequence by one token. Rows
 * of one step use different adapters: each carries an {@link AdapterRouting} naming its adapter
 * version, and the model's active adapters are never touched.
 *
 * <p>Each row has a KV cache of its own ({@link SequenceDecoder}); prompts run alone. Decode steps
 * run all rows in one forward ({@link BatchedDecoding}: linear layers on all rows padded to a fixed
 * count, LoRA rows gathered as Punica's BGMV, attention row by row) where start-up and per-adapter
 * probes show each row's floats equal the row alone bit for bit; otherwise, or when configured so,
 * each row is a forward of its own on {@code workers} threads. Either way a row's numbers never
 * depend on which rows share its step, so a greedy completion is the same bytes alone and under any
 * load.
 *
 * <p>Requests beyond the slots wait in a bounded queue; a full queue is a 429 with
 * {@code Retry-After}. A request past its deadline ends with 504; a cancelled one (client gone)
 * frees its slot at the next step. Adapters are loaded and unloaded on this thread, between steps.
 *
 * <pre>{@code
 * Scheduler s = new Scheduler(peftModel, tokenizer, cache, 16, 256, 512, 2, 512, List.of(), true);
 * s.submit(request);                 // 429 ApiException when the queue is full
 * Completion c = request.result().get();
 * s.close();
 * }</pre>
 */
public final class Scheduler implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Scheduler.class);

    private final PeftModel model;
    private final HfTokenizer tokenizer;
    private final AdapterCache cache;
    private final int maxBatch;
    private final int prefillTokenBudget;
    private final int contextLimit;
    private final List<PolicyHook> policies;
    private final boolean rewritesOutput;
    private final BlockingQueue<GenerationRequest> queue;
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final List<GenerationRequest> pending = new ArrayList<>();
    private final List<Sequence> running = new ArrayList<>();
    private final ExecutorService workers;
    private final BatchedDecoding batched;
    private final Thread engine;
    private volatile boolean open = true;
    private volatile int runningCount;
    private volatile int pendingCount;

    /**
     * @param model the shared model (adapters are loaded into it by the cache)
     * @param tokenizer its tokenizer
     * @param cache the resident adapters
     * @param maxBatch sequences decoded together
     * @param queueCapacity requests waiting beyond them
     * @param prefillTokenBudget prompt tokens admitted per step (at least one prompt)
     * @param workers threads computing the rows of a step
     * @param contextLimit the model's longest sequence
     * @param policies output policies, applied to each finished text
     * @param batchedDecode whether decode steps may batch rows (when the probes pass); false: row by row
     */
    public Scheduler(PeftModel model, HfTokenizer tokenizer, AdapterCache cache, int maxBatch, int queueCapacity,
            int prefillTokenBudget, int workers, int contextLimit, List<PolicyHook> policies, boolean batchedDecode) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.cache = cache;
        this.maxBatch = maxBatch;
        this.prefillTokenBudget = prefillTokenBudget;
        this.contextLimit = contextLimit;
        this.policies = List.copyOf(policies);
        this.rewritesOutput = policies.stream().anyMatch(PolicyHook::rewritesOutput);
        this.queue = new ArrayBlockingQueue<>(queueCapacity);
        this.batched = BatchedDecoding.probe(model, maxBatch, batchedDecode);
        this.workers = workers > 1 ? Executors.newFixedThreadPool(workers, r -> daemon(r, "peft4j-row")) : null;
        this.engine = daemon(this::loop, "peft4j-scheduler");
        engine.start();
    }

    /**
     * @param request a request
     * @throws ApiException 429 when the queue is full, 503 when the scheduler is closed
     */
    public void submit(GenerationRequest request) {
        if (!open) {
            throw new ApiException(503, "server_error", "shutting_down", "the server is shutting down");
        }
        if (!queue.offer(request)) {
            throw new ApiException(429, "rate_limit_error", "queue_full", "the server's queue is full ("
                    + (queue.size() + pendingCount) + " requests waiting, " + runningCount + " running); retry later");
        }
    }

    /**
     * Runs work on the engine thread between steps (loading and unloading adapters).
     *
     * @param work the work
     * @param <T> its result type
     * @return its result, when done
     */
    public <T> CompletableFuture<T> onEngine(Supplier<T> work) {
        CompletableFuture<T> f = new CompletableFuture<>();
        tasks.add(() -> {
            try {
                f.complete(work.get());
            } catch (RuntimeException e) {
                f.completeExceptionally(e);
            }
        });
        return f;
    }

    /** @return requests waiting for a slot */
    public int waiting() {
        return queue.size() + pendingCount;
    }

    /** @return sequences being decoded */
    public int running() {
        return runningCount;
    }

    /** @return whether decode steps batch their rows (the probes passed and it is not configured off) */
    public boolean batchedDecode() {
        return batched.enabled();
    }

    /** @return why decode steps do not batch rows, or {@code null} when they do */
    public String perRowReason() {
        return batched.reason();
    }

    /** @return the resident adapters */
    public AdapterCache cache() {
        return cache;
    }

    private void loop() {
        while (open) {
            try {
                step();
            } catch (RuntimeException | Error e) {
                LOG.error("scheduler step failed; failing the running requests", e);
                for (Sequence s : running) {
                    end(s, e);
                }
                running.clear();
            }
        }
        ApiException closed = new ApiException(503, "server_error", "shutting_down", "the server shut down");
        running.forEach(s -> end(s, closed));
        pending.forEach(r -> r.result().completeExceptionally(closed));
        queue.forEach(r -> r.result().completeExceptionally(closed));
    }

    private void step() {
        for (Runnable task; (task = tasks.poll()) != null;) {
            task.run();
        }
        queue.drainTo(pending);
        if (running.isEmpty() && pending.isEmpty()) {
            awaitWork();
            return;
        }
        dropEnded();
        admit();
        if (running.isEmpty()) {
            awaitWork();   // nothing admissible: its adapter waits for leases that only timeouts can end
        } else {
            decode();
        }
        runningCount = running.size();
        pendingCount = pending.size();
    }

    private void awaitWork() {
        try {
            GenerationRequest r = queue.poll(20, TimeUnit.MILLISECONDS);
            if (r != null) {
                pending.add(r);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            open = false;
        }
    }

    private void dropEnded() {
        long now = System.nanoTime();
        for (Iterator<GenerationRequest> it = pending.iterator(); it.hasNext();) {
            GenerationRequest r = it.next();
            if (r.cancelled() || r.expired(now)) {
                it.remove();
                r.result().completeExceptionally(r.cancelled() ? cancelled() : timedOut());
            }
        }
    }

    private void admit() {
        int budget = prefillTokenBudget;
        boolean admitted = false;
        for (Iterator<GenerationRequest> it = pending.iterator(); it.hasNext() && running.size() < maxBatch;) {
            GenerationRequest r = it.next();
            if (admitted && r.promptLength() > budget) {
                break;
            }
            AdapterCache.Lease lease = null;
            Sequence s = null;
            try {
                if (!r.target().isBase()) {
                    lease = cache.acquire(r.target(), r.ref());
                    if (lease == null) {
                        continue;   // its version waits for room; later requests may still fit
                    }
                }
            } catch (RuntimeException e) {
                it.remove();
                r.result().completeExceptionally(e);
                continue;
            }
            it.remove();
            try {
                String route = lease == null ? AdapterRouting.BASE : lease.internalName();
                ForwardContext ctx = ForwardContext.empty().with(AdapterRouting.KEY, new AdapterRouting(List.of(route)));
                s = new Sequence(r, lease, new SequenceDecoder(model, ctx, r.params().generationConfig()), tokenizer,
                        !rewritesOutput, batched.admits(route));
                s.accept(s.decoder().prefill(r.promptIds()), contextLimit);
            } catch (RuntimeException e) {
                if (s != null) {
                    end(s, e);
                } else {
                    if (lease != null) {
                        cache.release(lease);
                    }
                    r.result().completeExceptionally(e);
                }
                continue;
            }
            budget -= r.promptLength();
            admitted = true;
            if (s.finished()) {
                end(s, null);
            } else {
                running.add(s);
            }
        }
    }

    private void decode() {
        long now = System.nanoTime();
        for (Iterator<Sequence> it = running.iterator(); it.hasNext();) {
            Sequence s = it.next();
            GenerationRequest r = s.request();
            if (r.cancelled() || r.expired(now)) {
                it.remove();
                end(s, r.cancelled() ? cancelled() : timedOut());
            }
        }
        List<Object> next = nextTokens();
        for (int i = running.size() - 1; i >= 0; i--) {
            Sequence s = running.get(i);
            Object token = next.get(i);
            if (token instanceof Throwable t) {
                running.remove(i);
                end(s, t);
                continue;
            }
            s.accept((Long) token, contextLimit);
            if (s.finished()) {
                running.remove(i);
                end(s, null);
            }
        }
    }

    /**
     * One token per running row: one batched forward for the rows whose adapters passed the probe,
     * and a forward of each other row alone, on the worker threads when there are several.
     */
    private List<Object> nextTokens() {
        List<Object> out = new ArrayList<>(Collections.nCopies(running.size(), null));
        List<Integer> together = new ArrayList<>();
        List<Integer> alone = new ArrayList<>();
        for (int i = 0; i < running.size(); i++) {
            (running.get(i).batched() ? together : alone).add(i);
        }
        if (!together.isEmpty()) {
            List<SequenceDecoder> rows = together.stream().map(i -> running.get(i).decoder()).toList();
            try {
                long[] next = batched.next(rows);
                for (int k = 0; k < next.length; k++) {
                    out.set(together.get(k), next[k]);
                }
            } catch (RuntimeException e) {
                together.forEach(i -> out.set(i, e));
            }
        }
        if (workers == null || alone.size() < 2) {
            alone.forEach(i -> out.set(i, nextToken(running.get(i))));
            return out;
        }
        List<Callable<Object>> jobs = new ArrayList<>();
        for (int i : alone) {
            Sequence s = running.get(i);
            jobs.add(() -> nextToken(s));
        }
        try {
            List<Future<Object>> done = workers.invokeAll(jobs);
            for (int k = 0; k < done.size(); k++) {
                out.set(alone.get(k), done.get(k).get());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while decoding", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
        return out;
    }

    private static Object nextToken(Sequence s) {
        try {
            return s.decoder().next();
        } catch (RuntimeException e) {
            return e;
        }
    }

    /** Frees the row's cache and lease, then completes its request (with {@code error} if not null). */
    private void end(Sequence s, Throwable error) {
        s.decoder().close();
        if (s.lease() != null) {
            cache.release(s.lease());
        }
        GenerationRequest r = s.request();
        if (error != null) {
            r.result().completeExceptionally(error);
            return;
        }
        String text = s.text();
        try {
            for (PolicyHook p : policies) {
                text = p.afterGeneration(r.tenant(), r.model(), text);
            }
            s.flush(text);
        } catch (RuntimeException e) {
            r.result().completeExceptionally(e);
            return;
        }
        long t0 = r.submittedNanos();
        long now = System.nanoTime();
        r.result().complete(new Completion(text, s.finishReason(), r.promptLength(), s.generated(), r.target(),
                millis(s.admittedNanos() - t0), millis(s.firstTokenNanos() - t0), millis(now - t0)));
    }

    private static double millis(long nanos) {
        return nanos / 1e6;
    }

    private static ApiException timedOut() {
        return new ApiException(504, "timeout_error", "request_timeout", "the request ran past the server's time limit");
    }

    private static ApiException cancelled() {
        return new ApiException(499, "invalid_request_error", "client_closed_request", "the client closed the request");
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** Stops the engine thread; requests not finished end with 503. */
    @Override
    public void close() {
        open = false;
        try {
            engine.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (workers != null) {
            workers.shutdownNow();
        }
    }
}
