package io.github.peft4j.models.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import io.github.peft4j.core.hooks.ForwardContext;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The keys and values of the positions a causal LM has already seen, per layer, so that generation
 * feeds only the new token at each step (Hugging Face's {@code past_key_values}). It travels with a
 * forward call in the {@link ForwardContext} under {@link #KEY}; the model reads it, appends the new
 * positions and commits them when the forward completes.
 *
 * <p>The cache owns its arrays in a manager of its own, so the per-step managers of the caller can
 * be closed after every step. One cache serves one sequence batch; it is not thread-safe.
 *
 * <pre>{@code
 * try (KvCache cache = new KvCache(manager)) {
 *     ForwardContext ctx = ForwardContext.empty().with(KvCache.KEY, cache);
 *     model.forward(ps, new NDList(promptIds, promptMask), false, ctx.addTo(null));   // fills the cache
 *     model.forward(ps, new NDList(nextIds, nextMask), false, ctx.addTo(null));       // one new position
 * }
 * }</pre>
 */
public final class KvCache implements AutoCloseable {

    /** The context key. */
    public static final ForwardContext.Key<KvCache> KEY = new ForwardContext.Key<>("kv_cache", KvCache.class);

    private final NDManager manager;
    private final Map<Integer, NDArray[]> committed = new TreeMap<>();
    private final Map<Integer, NDArray[]> staged = new TreeMap<>();
    private NDArray mask;

    /** @param parent the manager under which the cache creates its own */
    public KvCache(NDManager parent) {
        this.manager = parent.newSubManager();
    }

    /** @return the number of cached positions (including padding and virtual tokens) */
    public int length() {
        return mask == null ? 0 : Math.toIntExact(mask.getShape().get(1));
    }

    /** @return whether nothing is cached yet (the next forward is the prompt) */
    public boolean isEmpty() {
        return mask == null;
    }

    /** @return the attention mask of the cached positions, [B, length] INT64, if any */
    public Optional<NDArray> mask() {
        return Optional.ofNullable(mask);
    }

    /**
     * @param layer a layer index
     * @return the committed keys and values of that layer ([B, kvHeads, length, D] each), if any
     */
    public Optional<NDArray[]> layer(int layer) {
        return Optional.ofNullable(committed.get(layer));
    }

    /**
     * Records a layer's keys and values for all positions so far (cached plus new). Called by
     * attention blocks during the forward; they stay in the caller's manager until {@link #commit}.
     *
     * @param layer the layer index
     * @param keys [B, kvHeads, length + new, D]
     * @param values [B, kvHeads, length + new, D]
     */
    public void stage(int layer, NDArray keys, NDArray values) {
        // they outlive the layer that made them (LayerScope closes the rest of its arrays)
        NDScope.unregister(keys, values);
        staged.put(layer, new NDArray[] {keys, values});
    }

    /**
     * Ends a forward: the staged keys and values replace the committed ones and move into the cache's
     * manager. Called by the model once all layers have run.
     *
     * @param fullMask the attention mask of all positions so far, [B, length + new]
     */
    public void commit(NDArray fullMask) {
        for (Map.Entry<Integer, NDArray[]> e : staged.entrySet()) {
            NDArray[] previous = committed.put(e.getKey(), adopt(e.getValue()));
            if (previous != null) {
                previous[0].close();
                previous[1].close();
            }
        }
        staged.clear();
        NDArray previousMask = mask;
        mask = fullMask;
        mask.attach(manager);
        if (previousMask != null && previousMask != mask) {
            previousMask.close();
        }
    }

    /** Drops staged arrays of a forward that did not complete. */
    public void discardStaged() {
        staged.clear();
    }

    private NDArray[] adopt(NDArray[] kv) {
        kv[0].attach(manager);
        kv[1].attach(manager);
        return kv;
    }

    /** Frees every cached array. */
    @Override
    public void close() {
        committed.clear();
        staged.clear();
        mask = null;
        manager.close();
    }
}
