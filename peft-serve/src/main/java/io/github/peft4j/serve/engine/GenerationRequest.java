package io.github.peft4j.serve.engine;

import io.github.peft4j.serve.ApiException;
import io.github.peft4j.serve.Tenant;
import java.util.concurrent.CompletableFuture;

/**
 * One request on its way through the {@link Scheduler}: what to run, for whom, and the future its
 * {@link Completion} (or its {@link ApiException}) completes. {@link #cancel()} (a client that went
 * away) ends it at the next step and frees its slot.
 *
 * <pre>{@code
 * GenerationRequest r = new GenerationRequest("cmpl-1", tenant, "support", target, "support@production",
 *         promptIds, SamplingParams.greedy(16), null, deadlineNanos);
 * scheduler.submit(r);
 * Completion c = r.result().get();
 * }</pre>
 */
public final class GenerationRequest {

    private final String id;
    private final Tenant tenant;
    private final String model;
    private final Target target;
    private final String ref;
    private final long[] prompt;
    private final SamplingParams params;
    private final TextListener listener;
    private final long submittedNanos = System.nanoTime();
    private final long deadlineNanos;
    private final CompletableFuture<Completion> result = new CompletableFuture<>();
    private volatile boolean cancelled;

    /**
     * @param id the request id
     * @param tenant who asks
     * @param model the {@code model} field as sent
     * @param target what serves it
     * @param ref the reference it was resolved from ({@code support@production}); a new target for
     *     the same reference retires the previous one once its requests end (hot swap)
     * @param prompt the prompt's token ids
     * @param params sampling settings
     * @param listener receives streamed text, or {@code null}
     * @param deadlineNanos {@link System#nanoTime()} after which it ends with 504
     */
    public GenerationRequest(String id, Tenant tenant, String model, Target target, String ref, long[] prompt,
            SamplingParams params, TextListener listener, long deadlineNanos) {
        this.id = id;
        this.tenant = tenant;
        this.model = model;
        this.target = target;
        this.ref = ref;
        this.prompt = prompt.clone();
        this.params = params;
        this.listener = listener;
        this.deadlineNanos = deadlineNanos;
    }

    /** @return the request id */
    public String id() {
        return id;
    }

    /** @return who asks */
    public Tenant tenant() {
        return tenant;
    }

    /** @return the {@code model} field as sent */
    public String model() {
        return model;
    }

    /** @return what serves it */
    public Target target() {
        return target;
    }

    /** @return the reference it was resolved from */
    public String ref() {
        return ref;
    }

    /** @return the prompt's token ids */
    public long[] prompt() {
        return prompt.clone();
    }

    int promptLength() {
        return prompt.length;
    }

    long[] promptIds() {
        return prompt;
    }

    /** @return sampling settings */
    public SamplingParams params() {
        return params;
    }

    TextListener listener() {
        return listener;
    }

    long submittedNanos() {
        return submittedNanos;
    }

    boolean expired(long now) {
        return now - deadlineNanos > 0;
    }

    /** @return the future of its completion */
    public CompletableFuture<Completion> result() {
        return result;
    }

    /** Ends the request at the next scheduler step (the client went away). */
    public void cancel() {
        cancelled = true;
    }

    /** @return whether it was cancelled */
    public boolean cancelled() {
        return cancelled;
    }
}
