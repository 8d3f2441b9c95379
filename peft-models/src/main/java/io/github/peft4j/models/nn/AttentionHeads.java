package io.github.peft4j.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.util.PairList;
import io.github.peft4j.core.hooks.ForwardContext;
import io.github.peft4j.models.generation.DecodeRows;
import java.util.Optional;

/**
 * The heads of one attention layer and the part of its forward every architecture shares: split
 * the projections into heads, put the cached or prefix keys and values in front
 * ({@link PastKeyValues}), let each key/value head serve {@code heads / kvHeads} query heads, attend,
 * and merge the heads back. The projections themselves, and rotary positions, stay with the layer.
 *
 * <pre>{@code
 * AttentionHeads attention = new AttentionHeads(layerIndex, 12, 12, 64, 0.125f, 0.1);
 * NDArray context = attention.attend(q, k, v, bias, params, training);   // [B,T,768] in and out
 * AttentionHeads local = new AttentionHeads(layerIndex, 8, 2, 64, 0.125f, 0).withSlidingWindow(4096); // Mistral
 * }</pre>
 *
 * <p>A layer's sliding window reaches its attention two ways: a forward over whole sequences gets it
 * in the mask its caller builds ({@code CausalInputs.slidingBias}); a batched decode step has no mask
 * (each row attends over its own cache, {@link RowAttention}), so the heads carry the window themselves.
 */
public final class AttentionHeads {

    private final int layerIndex;
    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final float scale;
    private final double dropout;
    private final float softcap;
    private final int window;

    /**
     * @param layerIndex the layer's index (its slot in the cache and the prefixes)
     * @param heads the number of query heads
     * @param kvHeads the number of key/value heads (fewer than {@code heads}: grouped-query attention)
     * @param headDim the size of one head
     * @param scale the score scale, as the architecture computes it
     * @param dropout the attention dropout probability
     */
    public AttentionHeads(int layerIndex, int heads, int kvHeads, int headDim, float scale, double dropout) {
        this(layerIndex, heads, kvHeads, headDim, scale, dropout, 0f);
    }

    /**
     * @param layerIndex the layer's index (its slot in the cache and the prefixes)
     * @param heads the number of query heads
     * @param kvHeads the number of key/value heads
     * @param headDim the size of one head
     * @param scale the score scale, as the architecture computes it
     * @param dropout the attention dropout probability
     * @param softcap Gemma 2's {@code attn_logit_softcapping}, or 0 for none
     */
    public AttentionHeads(int layerIndex, int heads, int kvHeads, int headDim, float scale, double dropout,
            float softcap) {
        this(layerIndex, heads, kvHeads, headDim, scale, dropout, softcap, 0);
    }

    private AttentionHeads(int layerIndex, int heads, int kvHeads, int headDim, float scale, double dropout,
            float softcap, int window) {
        this.window = window;
        this.softcap = softcap;
        this.layerIndex = layerIndex;
        this.heads = heads;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.scale = scale;
        this.dropout = dropout;
    }

    /**
     * The same heads in a layer that attends through a sliding window: a query sees the keys less
     * than {@code window} positions back, itself included.
     *
     * @param slidingWindow the layer's window, or {@code null} for full attention
     * @return heads that apply it in batched decode steps (other forwards take it from their mask)
     */
    public AttentionHeads withSlidingWindow(Integer slidingWindow) {
        return new AttentionHeads(layerIndex, heads, kvHeads, headDim, scale, dropout, softcap,
                slidingWindow == null ? 0 : slidingWindow);
    }

    /** @return the width of all query heads together, {@code heads * headDim} */
    public int queryWidth() {
        return heads * headDim;
    }

    /** @return the width of all key (or value) heads together, {@code kvHeads * headDim} */
    public int keyValueWidth() {
        return kvHeads * headDim;
    }

    /**
     * @param projected queries, [B, T, heads * headDim]
     * @return [B, heads, T, headDim]
     */
    public NDArray splitQueries(NDArray projected) {
        return AttentionMath.splitHeads(projected, heads, headDim);
    }

    /**
     * @param projected keys or values, [B, T, kvHeads * headDim]
     * @return [B, kvHeads, T, headDim]
     */
    public NDArray splitKeysOrValues(NDArray projected) {
        return AttentionMath.splitHeads(projected, kvHeads, headDim);
    }

    /**
     * Attention over projections not yet split into heads.
     *
     * @param q [B, T, heads * headDim]
     * @param k [B, T, kvHeads * headDim]
     * @param v [B, T, kvHeads * headDim]
     * @param bias the additive mask, broadcastable to [B, heads, T, past + T]
     * @param params the forward's params, holding its {@link ForwardContext}
     * @param training whether this is a training forward
     * @return the context, [B, T, heads * headDim]
     */
    public NDArray attend(NDArray q, NDArray k, NDArray v, NDArray bias, PairList<String, Object> params,
            boolean training) {
        return attendHeads(splitQueries(q), splitKeysOrValues(k), splitKeysOrValues(v), bias, params, training);
    }

    /**
     * Attention over heads already split (and, for rotary models, rotated).
     *
     * @param q [B, heads, T, headDim]
     * @param k [B, kvHeads, T, headDim]
     * @param v [B, kvHeads, T, headDim]
     * @param bias the additive mask, broadcastable to [B, heads, T, past + T]
     * @param params the forward's params, holding its {@link ForwardContext}
     * @param training whether this is a training forward
     * @return the context, [B, T, heads * headDim]
     */
    public NDArray attendHeads(NDArray q, NDArray k, NDArray v, NDArray bias, PairList<String, Object> params,
            boolean training) {
        ForwardContext ctx = ForwardContext.current(params);
        int groups = heads / kvHeads;
        Optional<DecodeRows> rows = ctx.get(DecodeRows.KEY);
        if (rows.isPresent()) {
            return AttentionMath.mergeHeads(RowAttention.attend(rows.get(), layerIndex, q, k, v,
                    groups, scale, softcap, window));
        }
        NDArray[] kv = PastKeyValues.extend(ctx, layerIndex, k, v);
        NDArray out = AttentionMath.attend(q, AttentionMath.repeatKv(kv[0], groups),
                AttentionMath.repeatKv(kv[1], groups), bias, scale, softcap, dropout, training);
        return AttentionMath.mergeHeads(out);
    }
}
