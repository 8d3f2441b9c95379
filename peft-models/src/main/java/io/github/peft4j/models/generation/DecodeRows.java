package io.github.peft4j.models.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.peft4j.core.hooks.ForwardContext;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The rows of a batched decode step, each with a {@link KvCache} of its own (of any length): a
 * forward of {@code [rows, 1]} new tokens that carries this under {@link #KEY} computes its linear
 * layers on all rows at once and its attention row by row, each row over its own cache
 * ({@code nn.RowAttention}). A {@code null} cache marks a padding row: its output is zeros and
 * nothing is cached for it. The caches must hold no padding (prompts run alone, as
 * {@link SequenceDecoder#prefill} does): a row's position is its cache's length.
 *
 * <pre>{@code
 * ForwardContext ctx = ForwardContext.empty().with(DecodeRows.KEY, new DecodeRows(Arrays.asList(c0, c1, null, null)));
 * model.forward(ps, new NDList(lastTokens, ones), false, ctx.addTo(null));   // lastTokens [4, 1]
 * }</pre>
 */
public final class DecodeRows {

    /** The context key. */
    public static final ForwardContext.Key<DecodeRows> KEY = new ForwardContext.Key<>("decode_rows", DecodeRows.class);

    private final List<KvCache> caches;

    /** @param caches one cache per row, {@code null} for padding rows; every cache has run its prompt */
    public DecodeRows(List<KvCache> caches) {
        for (KvCache c : caches) {
            if (c != null && c.isEmpty()) {
                throw new IllegalArgumentException("a row of a batched decode step has not run its prompt");
            }
        }
        this.caches = Collections.unmodifiableList(new ArrayList<>(caches));
    }

    /** @return the number of rows, padding included */
    public int size() {
        return caches.size();
    }

    /**
     * @param row a row
     * @return its cache, or {@code null} for a padding row
     */
    public KvCache cache(int row) {
        return caches.get(row);
    }

    /**
     * @param m the forward's manager
     * @return [rows, 1] INT64: each row's next position (its cached length; 0 for padding)
     */
    public NDArray positions(NDManager m) {
        long[] p = new long[caches.size()];
        for (int i = 0; i < p.length; i++) {
            p[i] = caches.get(i) == null ? 0 : caches.get(i).length();
        }
        return m.create(p, new Shape(p.length, 1));
    }

    /** Drops what an earlier forward that failed left staged. */
    public void discardStaged() {
        caches.stream().filter(c -> c != null).forEach(KvCache::discardStaged);
    }

    /**
     * Ends the forward: every row's cache takes its staged keys and values, one position longer.
     *
     * @param m the forward's manager
     */
    public void commit(NDManager m) {
        for (KvCache c : caches) {
            if (c != null) {
                NDArray one = m.ones(new Shape(1, 1), DataType.INT64);
                c.commit(c.mask().orElseThrow().concat(one, 1));
            }
        }
    }
}
