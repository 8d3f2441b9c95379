package io.github.peft4j.serve.engine;

import ai.djl.ndarray.NDArray;
import io.github.peft4j.core.AdapterTensor;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.serve.ApiException;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The adapters resident in the shared model: an LRU bounded by count and by tensor bytes (vLLM's
 * {@code max_loras} / {@code max_cpu_loras}), keyed by fingerprint, so one version is loaded once
 * whatever reference names it. Each version is loaded under an internal name of its own; requests
 * hold a {@link Lease} while they run, and only versions nobody holds (and not pinned) are evicted.
 *
 * <p>Hot swap: when a reference ({@code support@production}, a reloaded directory name) resolves to
 * a new version, the version it named before is retired: new requests get the new one, requests in
 * flight finish on the old one, and the old one is deleted when its last lease ends.
 *
 * <p>Loading is in two parts: a version is first prepared on loader threads ({@link AdapterLoader}:
 * its directory read and checked, its weights read from disk), while the engine keeps decoding;
 * requests for it wait meanwhile. Then the scheduler's thread injects it between steps. Apart from
 * {@link #prepare}, only the scheduler's thread calls this class: loading and deleting change the
 * model's block tree, which must not happen during a forward.
 *
 * <pre>{@code
 * AdapterCache cache = new AdapterCache(peftModel, 8, 64L << 20, Set.of("support"));
 * AdapterCache.Lease lease = cache.acquire(target, "support@production");   // null: loading, or no room yet
 * ... forward with AdapterRouting(lease.internalName()) ...
 * cache.release(lease);
 * }</pre>
 */
public final class AdapterCache {

    private static final Logger LOG = LoggerFactory.getLogger(AdapterCache.class);

    private final PeftModel model;
    private final int maxCount;
    private final long maxBytes;
    private final Set<String> pinned;
    private final AdapterLoader loader;
    private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>(16, 0.75f, true);
    private final Map<String, String> fingerprintByRef = new HashMap<>();
    private long resident;
    private long peak;
    private long loads;
    private int counter;

    /** A request's hold on a resident version. */
    public static final class Lease {
        private final Entry entry;

        private Lease(Entry entry) {
            this.entry = entry;
        }

        /** @return the name the version has inside the shared model (for {@code AdapterRouting}) */
        public String internalName() {
            return entry.internalName;
        }
    }

    private static final class Entry {
        final Target target;
        final String internalName;
        final long bytes;
        int refs;
        boolean retired;

        Entry(Target target, String internalName, long bytes) {
            this.target = target;
            this.internalName = internalName;
            this.bytes = bytes;
        }
    }

    /**
     * @param model the shared model
     * @param maxCount versions resident at once
     * @param maxBytes tensor bytes resident at once
     * @param pinned adapter names never evicted
     */
    public AdapterCache(PeftModel model, int maxCount, long maxBytes, Set<String> pinned) {
        this(model, maxCount, maxBytes, pinned, target -> {});
    }

    /**
     * @param model the shared model
     * @param maxCount versions resident at once
     * @param maxBytes tensor bytes resident at once
     * @param pinned adapter names never evicted
     * @param loadHook runs on a loader thread before each version is read (may block, or throw to refuse it)
     */
    AdapterCache(PeftModel model, int maxCount, long maxBytes, Set<String> pinned, Consumer<Target> loadHook) {
        this.model = model;
        this.maxCount = maxCount;
        this.maxBytes = maxBytes;
        this.pinned = Set.copyOf(pinned);
        this.loader = new AdapterLoader(2, maxBytes, loadHook);
    }

    /**
     * Holds the target's version. A version not resident is prepared on a loader thread first
     * ({@code null} until then), then loaded, evicting least recently used versions nobody holds.
     *
     * @param target an adapter version
     * @param ref the reference it was resolved from
     * @return the lease, or {@code null} while its version is being prepared or cannot be made
     *     resident until other requests end
     * @throws ApiException if the version alone exceeds the byte bound, or cannot be loaded
     */
    public Lease acquire(Target target, String ref) {
        retirePrevious(ref, target.fingerprint());
        Entry e = entries.get(target.fingerprint());
        if (e == null) {
            CompletableFuture<Long> prepared = loader.prepare(target);
            if (!prepared.isDone()) {
                return null;
            }
            ApiException failed = loader.failure(target);
            if (failed != null) {
                throw failed;
            }
            if (!makeRoom(prepared.join())) {
                return null;
            }
            try {
                e = load(target);
            } finally {
                loader.forget(target);
            }
        } else {
            loader.forget(target);   // an admin's warm-up may have prepared it again
        }
        e.refs++;
        return new Lease(e);
    }

    /**
     * Starts preparing a version on a loader thread, if it is not resident (any thread may call it).
     *
     * @param target an adapter version
     * @return done when it is prepared (the bytes it needs), or failed with an {@link ApiException}
     */
    public CompletableFuture<Long> prepare(Target target) {
        return loader.prepare(target).exceptionallyCompose(t -> CompletableFuture.failedFuture(AdapterLoader.asApi(target, t)));
    }

    /**
     * @param target an adapter version
     * @return why preparing it failed (the requests waiting for it end with this), or {@code null}
     */
    ApiException loadFailure(Target target) {
        return target.isBase() || entries.containsKey(target.fingerprint()) ? null : loader.failure(target);
    }

    /** Forgets failed preparations once their waiting requests were told, so that a later request tries again. */
    void forgetFailedLoads() {
        loader.forgetFailures();
    }

    /** @param lease a lease from {@link #acquire}; a retired version nobody holds is deleted */
    public void release(Lease lease) {
        Entry e = lease.entry;
        e.refs--;
        if (e.refs == 0 && e.retired) {
            evict(e);
        }
    }

    /**
     * Retires the version a reference names (an unloaded adapter): it is deleted once nobody holds it.
     *
     * @param ref the reference
     */
    public void retire(String ref) {
        String previous = fingerprintByRef.remove(ref);
        if (previous != null && !fingerprintByRef.containsValue(previous)) {
            Entry old = entries.get(previous);
            if (old != null) {
                old.retired = true;
                if (old.refs == 0) {
                    evict(old);
                }
            }
        }
    }

    /** @return versions resident now */
    public int size() {
        return entries.size();
    }

    /** @return adapter tensor bytes resident now */
    public long residentBytes() {
        return resident;
    }

    /** @return the most adapter tensor bytes ever resident at once */
    public long peakResidentBytes() {
        return peak;
    }

    /** @return how many times a version was loaded */
    public long loads() {
        return loads;
    }

    /** @return the versions resident now, by fingerprint */
    public Set<String> residentFingerprints() {
        return Set.copyOf(entries.keySet());
    }

    private void retirePrevious(String ref, String fingerprint) {
        if (!fingerprint.equals(fingerprintByRef.get(ref))) {
            retire(ref);
            fingerprintByRef.put(ref, fingerprint);
            Entry current = entries.get(fingerprint);
            if (current != null) {
                current.retired = false;
            }
        }
    }

    private boolean makeRoom(long need) {
        while (entries.size() + 1 > maxCount || resident + need > maxBytes) {
            Entry victim = null;
            for (Iterator<Entry> it = entries.values().iterator(); it.hasNext() && victim == null;) {
                Entry candidate = it.next();
                if (candidate.refs == 0 && !pinned.contains(candidate.target.adapter())) {
                    victim = candidate;
                }
            }
            if (victim == null) {
                return false;
            }
            evict(victim);
        }
        return true;
    }

    private Entry load(Target target) {
        String internal = "srv" + (++counter);
        try {
            model.loadAdapter(target.dir(), internal, false);
        } catch (RuntimeException e) {
            throw AdapterLoader.loadFailed(target, e.getMessage());
        }
        long bytes = 0;
        for (AdapterTensor t : model.tensors(internal)) {
            NDArray a = t.parameter().getArray();
            bytes += a.size() * a.getDataType().getNumOfBytes();
        }
        Entry e = new Entry(target, internal, bytes);
        entries.put(target.fingerprint(), e);
        resident += bytes;
        peak = Math.max(peak, resident);
        loads++;
        LOG.info("loaded {} as {} ({} bytes; {} adapters, {} bytes resident)", target.version(), internal, bytes,
                entries.size(), resident);
        return e;
    }

    private void evict(Entry e) {
        model.deleteAdapter(e.internalName);
        entries.remove(e.target.fingerprint());
        resident -= e.bytes;
        LOG.info("unloaded {} ({})", e.target.version(), e.retired ? "retired" : "least recently used");
    }

    /** Stops the loader threads (resident versions stay in the model). */
    public void close() {
        loader.close();
    }
}
