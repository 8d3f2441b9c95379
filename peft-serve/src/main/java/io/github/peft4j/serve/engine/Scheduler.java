package io.github.peft4j.serve.engine;

import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.hooks.AdapterRouting;
import io.github.peft4j.core.hooks.ForwardContext;
import io.github.peft4j.models.generation.SequenceDecoder;
import io.github.peft4j.models.tokenizer.HfTokenizer;
import io.github.peft4j.serve.ApiException;
import io.github.peft4j.serve.policy.PolicyHook;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Continuous batching across adapters (Orca's iteration-level scheduling, as vLLM and LoRAX do it):
 * one engine thread owns the shared model; at every step it runs prompt tokens up to a budget
 * (vLLM's chunked prefill and {@code max_num_batched_tokens}: a prompt longer than the budget is
 * run in chunks of that size over several steps, extending its KV cache chunk by chunk), admitting
 * waiting requests into free slots of the batch, then advances every decoding sequence by one
 * token. So a long prompt delays the decoding rows by one chunk per step, not by its whole length.
 * Rows of one step use different adapters: each carries an {@link AdapterRouting} naming its
 * adapter version, and the model's active adapters are never touched.
 *
 * <p>Each row has a KV cache of its own ({@link SequenceDecoder}); prompt chunks run alone, and
 * start at multiples of the budget, so a prompt's numbers depend on the budget only. Decode steps
 * run all rows in one forward ({@link BatchedDecoding}: linear layers on all rows padded to a fixed
 * count, LoRA rows gathered as Punica's BGMV, attention row by row) where start-up and per-adapter
 * probes show each row's floats equal the row alone bit for bit; otherwise, or when configured so,
 * each row is a forward of its own on {@code workers} threads. Either way a row's numbers never
 * depend on which rows share its step, so a greedy completion is the same bytes alone and under any
 * load.
 *
 * <p>Requests beyond the slots wait in a bounded queue; a full queue is a 429 with
 * {@code Retry-After}. A request past its deadline ends with 504; a cancelled one (client gone)
 * frees its slot at the next step. An adapter version not resident is prepared on loader threads
 * ({@link AdapterCache#prepare}) while the other rows keep decoding; its requests wait in the queue
 * meanwhile, and end with the load's error if it fails. Injecting and deleting adapters happens on
 * this thread, between steps.
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
    private final int queueCapacity;
    private final List<GenerationRequest> pending = new ArrayList<>();
    private final List<Sequence> prefilling = new ArrayList<>();
    private final List<Sequence> running = new ArrayList<>();
    private final BatchedDecoding batched;
    private final DecodeStep decodeStep;
    private final AtomicLong cancelledCount = new AtomicLong();
    private final Thread engine;
    private volatile Consumer<EngineStep> observer;
    private volatile boolean open = true;
    private volatile int runningCount;
    private volatile int pendingCount;
    private long steps;

    /**
     * @param model the shared model (adapters are loaded into it by the cache)
     * @param tokenizer its tokenizer
     * @param cache the resident adapters
     * @param maxBatch sequences decoded together
     * @param queueCapacity requests waiting beyond them
     * @param prefillTokenBudget prompt tokens run per step; a longer prompt runs in chunks of this size
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
        this.queueCapacity = queueCapacity;
        this.queue = new ArrayBlockingQueue<>(queueCapacity);
        this.batched = BatchedDecoding.probe(model, maxBatch, batchedDecode);
        this.decodeStep = new DecodeStep(batched, workers);
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
        if (queue.size() + pendingCount >= queueCapacity || !queue.offer(request)) {
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

    /**
     * Calls {@code listener} on the engine thread after every step that ran something (it must
     * return quickly); {@code null} stops.
     *
     * @param listener receives each step's prefill chunks and decoded rows
     */
    public void observe(Consumer<EngineStep> listener) {
        observer = listener;
    }

    /** @return requests waiting for a slot (or for their adapter's load) */
    public int waiting() {
        return queue.size() + pendingCount;
    }

    /** @return sequences holding a slot: decoding, or with their prompt under way */
    public int running() {
        return runningCount;
    }

    /** @return requests ended because their client went away ({@link GenerationRequest#cancel}) */
    public long cancelledRequests() {
        return cancelledCount.get();
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
                prefilling.forEach(s -> end(s, e));
                running.forEach(s -> end(s, e));
                prefilling.clear();
                running.clear();
            }
        }
        ApiException closed = new ApiException(503, "server_error", "shutting_down", "the server shut down");
        prefilling.forEach(s -> end(s, closed));
        running.forEach(s -> end(s, closed));
        pending.forEach(r -> r.result().completeExceptionally(closed));
        queue.forEach(r -> r.result().completeExceptionally(closed));
    }

    private void step() {
        for (Runnable task; (task = tasks.poll()) != null;) {
            task.run();
        }
        queue.drainTo(pending);
        if (running.isEmpty() && prefilling.isEmpty() && pending.isEmpty()) {
            awaitWork();
            return;
        }
        dropEnded();
        Map<String, Integer> prefilled = new LinkedHashMap<>();
        prefill(prefilled);
        cache.forgetFailedLoads();
        List<String> decoded = decode();
        runningCount = running.size() + prefilling.size();
        pendingCount = pending.size();
        if (prefilled.isEmpty() && decoded.isEmpty()) {
            awaitWork();   // nothing runnable: adapters are being prepared, or wait for leases only timeouts end
            return;
        }
        Consumer<EngineStep> o = observer;
        if (o != null) {
            o.accept(new EngineStep(++steps, prefilled, decoded));
        }
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

    /** Ends cancelled and expired requests wherever they are, and those waiting for a version that failed to load. */
    private void dropEnded() {
        long now = System.nanoTime();
        for (Iterator<GenerationRequest> it = pending.iterator(); it.hasNext();) {
            GenerationRequest r = it.next();
            Throwable why = r.cancelled() || r.expired(now) ? ended(r) : cache.loadFailure(r.target());
            if (why != null) {
                it.remove();
                r.result().completeExceptionally(why);
            }
        }
        for (List<Sequence> rows : List.of(prefilling, running)) {
            for (Iterator<Sequence> it = rows.iterator(); it.hasNext();) {
                Sequence s = it.next();
                if (s.request().cancelled() || s.request().expired(now)) {
                    it.remove();
                    end(s, ended(s.request()));
                }
            }
        }
    }

    private ApiException ended(GenerationRequest r) {
        if (r.cancelled()) {
            cancelledCount.incrementAndGet();
            return cancelled();
        }
        return timedOut();
    }

    /**
     * Runs prompt chunks within the step's token budget: first the prompts under way (oldest
     * first), then newly admitted ones while slots are free. A chunk is at most the budget, so a
     * long prompt takes several steps, and the rows decoding meanwhile advance at every one of them.
     */
    private void prefill(Map<String, Integer> prefilled) {
        int budget = prefillTokenBudget;
        for (Iterator<Sequence> it = prefilling.iterator(); it.hasNext();) {
            Sequence s = it.next();
            if (Math.min(prefillTokenBudget, s.promptLeft()) > budget) {
                return;
            }
            budget -= runChunk(s, prefilled);
            if (s.promptLeft() == 0 || s.finished()) {
                it.remove();
            }
        }
        for (Iterator<GenerationRequest> it = pending.iterator(); it.hasNext() && slotsUsed() < maxBatch;) {
            GenerationRequest r = it.next();
            if (Math.min(prefillTokenBudget, r.promptLength()) > budget) {
                return;
            }
            AdapterCache.Lease lease;
            try {
                lease = r.target().isBase() ? null : cache.acquire(r.target(), r.ref());
                if (lease == null && !r.target().isBase()) {
                    continue;   // its version is being prepared or waits for room; later requests may run
                }
            } catch (RuntimeException e) {
                it.remove();
                r.result().completeExceptionally(e);
                continue;
            }
            it.remove();
            Sequence s = admit(r, lease);
            if (s != null) {
                budget -= runChunk(s, prefilled);
                if (s.promptLeft() > 0 && !s.finished()) {
                    prefilling.add(s);
                }
            }
        }
    }

    private Sequence admit(GenerationRequest r, AdapterCache.Lease lease) {
        try {
            String route = lease == null ? AdapterRouting.BASE : lease.internalName();
            ForwardContext ctx = ForwardContext.empty().with(AdapterRouting.KEY, new AdapterRouting(List.of(route)));
            return new Sequence(r, lease, new SequenceDecoder(model, ctx, r.params().generationConfig()), tokenizer,
                    !rewritesOutput, batched.admits(route));
        } catch (RuntimeException e) {
            if (lease != null) {
                cache.release(lease);
            }
            r.result().completeExceptionally(e);
            return null;
        }
    }

    /** Runs one chunk of {@code s}'s prompt; a finished prompt moves it to the decoding rows (or ends it). */
    private int runChunk(Sequence s, Map<String, Integer> prefilled) {
        int n;
        try {
            n = s.prefillNext(prefillTokenBudget, contextLimit);
        } catch (RuntimeException | Error e) {   // its row only (a failed forward must not leave it hanging)
            end(s, e);
            s.finish("error");
            return 0;
        }
        prefilled.merge(s.request().id(), n, Integer::sum);
        if (s.promptLeft() == 0) {
            if (s.finished()) {
                end(s, null);
            } else {
                running.add(s);
            }
        }
        return n;
    }

    private int slotsUsed() {
        return running.size() + prefilling.size();
    }

    /** One token for every decoding row. @return the ids of the rows that took it */
    private List<String> decode() {
        if (running.isEmpty()) {
            return List.of();
        }
        List<String> decoded = new ArrayList<>();
        running.forEach(s -> decoded.add(s.request().id()));
        List<Object> next = decodeStep.next(running);
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
        return decoded;
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
        decodeStep.close();
    }
}
