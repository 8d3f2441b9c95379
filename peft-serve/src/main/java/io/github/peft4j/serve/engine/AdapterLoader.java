package io.github.peft4j.serve.engine;

import io.github.peft4j.core.PeftException;
import io.github.peft4j.core.io.AdapterDirectory;
import io.github.peft4j.serve.ApiException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The part of loading an adapter version that does not touch the shared model, run on loader
 * threads so that the engine keeps decoding meanwhile: the load hook (fetching from remote storage,
 * say), then the directory read and checked as {@code PeftModel.loadAdapter} will read it (config,
 * tensor header against the config), and its weights file read once, so that the engine thread's
 * injection copies from the page cache instead of waiting on the disk. Requests for a version being
 * prepared wait in the scheduler's queue; a failed preparation is an {@link ApiException} for each.
 *
 * <p>Injection itself (block surgery and filling the tensors) stays on the engine thread, between
 * steps: it changes the block tree that a forward walks.
 *
 * <pre>{@code
 * AdapterLoader loader = new AdapterLoader(2, 64L << 20, target -> {});
 * CompletableFuture<Long> bytes = loader.prepare(target);   // the weights file's size, when ready
 * }</pre>
 */
final class AdapterLoader implements AutoCloseable {

    private static final int READ_BUFFER = 1 << 20;

    private final long maxBytes;
    private final Consumer<Target> hook;
    private final ExecutorService threads;
    private final Map<String, CompletableFuture<Long>> preparing = new ConcurrentHashMap<>();

    /**
     * @param threads loads prepared at once
     * @param maxBytes the most adapter bytes the cache holds (a larger version is refused)
     * @param hook runs first on the loader thread for each version (may block; may throw to refuse it)
     */
    AdapterLoader(int threads, long maxBytes, Consumer<Target> hook) {
        this.maxBytes = maxBytes;
        this.hook = hook;
        AtomicInteger n = new AtomicInteger();
        this.threads = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "peft4j-adapter-loader-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * @param target an adapter version
     * @return its preparation (started now unless under way or done): the bytes it needs once
     *     loaded, or an {@link ApiException}
     */
    CompletableFuture<Long> prepare(Target target) {
        return preparing.computeIfAbsent(target.fingerprint(),
                fp -> CompletableFuture.supplyAsync(() -> read(target), threads));
    }

    /**
     * @param target an adapter version
     * @return why its preparation failed, or {@code null} if it did not (or is not over)
     */
    ApiException failure(Target target) {
        CompletableFuture<Long> f = preparing.get(target.fingerprint());
        if (f == null || !f.isCompletedExceptionally()) {
            return null;
        }
        try {
            f.join();
            return null;
        } catch (CompletionException e) {
            return asApi(target, e.getCause());
        }
    }

    /** @param target a version now loaded in the model, or whose load failed: its next use prepares it again */
    void forget(Target target) {
        preparing.remove(target.fingerprint());
    }

    /** Forgets failed preparations, so that the next request for such a version tries again. */
    void forgetFailures() {
        preparing.values().removeIf(CompletableFuture::isCompletedExceptionally);
    }

    private long read(Target target) {
        hook.accept(target);
        Path weights = target.dir().resolve(AdapterDirectory.WEIGHTS_FILE);
        try {
            long need = Files.size(weights);
            if (need > maxBytes) {
                throw new ApiException(400, "invalid_request_error", "adapter_too_large", "adapter " + target.version()
                        + " needs " + need + " bytes; the server holds at most " + maxBytes + " bytes of adapters");
            }
            AdapterDirectory.readForLoading(target.dir());
            try (InputStream in = Files.newInputStream(weights)) {
                byte[] buffer = new byte[READ_BUFFER];
                while (in.read(buffer) >= 0) {
                    // read once: the engine thread's load then comes from the page cache
                }
            }
            return need;
        } catch (IOException e) {
            throw loadFailed(target, "cannot read " + weights + ": " + e.getMessage());
        }
    }

    /** @return {@code t} (a preparation's failure) as OpenAI's error */
    static ApiException asApi(Target target, Throwable t) {
        if (t instanceof CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof ApiException api) {
            return api;
        }
        if (t instanceof PeftException) {
            return loadFailed(target, t.getMessage());
        }
        return loadFailed(target, String.valueOf(t));
    }

    /** @return OpenAI's error for a version that cannot be loaded */
    static ApiException loadFailed(Target target, String why) {
        return new ApiException(400, "invalid_request_error", "adapter_load_failed",
                "cannot load adapter " + target.version() + " from " + target.dir() + ": " + why);
    }

    /** Stops the loader threads. */
    @Override
    public void close() {
        threads.shutdownNow();
    }
}
