package io.github.peft4j.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

/**
 * Additive attention masks: 0 where a query may attend a key, {@value #MASKED} elsewhere. A finite
 * value (not -inf) keeps rows with no visible key (left padding) free of NaN; {@code exp(-1e9)} is
 * exactly 0 in float32, so masked keys contribute nothing.
 *
 * <pre>{@code
 * NDArray bias = AttentionBias.causal(mask, queryLength, null);   // [B, 1, T, S]
 * }</pre>
 */
public final class AttentionBias {

    /** The score added for a masked key. */
    public static final float MASKED = -1e9f;

    private AttentionBias() {}

    /**
     * Causal mask over a sequence whose last {@code queryLength} positions are the queries and whose
     * first positions are a cache or prefix.
     *
     * @param keyMask [B, S] (1 = real key, 0 = padding), the cache's keys first
     * @param queryLength T, the number of new positions
     * @param slidingWindow a window size (Mistral), or {@code null} for full attention
     * @return [B, 1, T, S] float32
     */
    public static NDArray causal(NDArray keyMask, long queryLength, Integer slidingWindow) {
        NDManager m = keyMask.getManager();
        long batch = keyMask.getShape().get(0);
        long keys = keyMask.getShape().get(1);
        NDArray queryIndex = m.arange(keys - queryLength, keys, 1, DataType.INT64).reshape(queryLength, 1);
        NDArray keyIndex = m.arange(0, keys, 1, DataType.INT64).reshape(1, keys);
        NDArray allowed = keyIndex.lte(queryIndex);
        if (slidingWindow != null) {
            allowed = allowed.logicalAnd(queryIndex.sub(keyIndex).lt(slidingWindow));
        }
        NDArray real = keyMask.neq(0).reshape(batch, 1, 1, keys);
        return toBias(real.logicalAnd(allowed.reshape(1, 1, queryLength, keys)));
    }

    /**
     * Padding-only mask for bidirectional encoders (BERT).
     *
     * @param keyMask [B, S] (1 = real key)
     * @return [B, 1, 1, S] float32
     */
    public static NDArray padding(NDArray keyMask) {
        long batch = keyMask.getShape().get(0);
        long keys = keyMask.getShape().get(1);
        return toBias(keyMask.neq(0).reshape(batch, 1, 1, keys));
    }

    private static NDArray toBias(NDArray allowed) {
        return allowed.toType(DataType.FLOAT32, false).sub(1f).mul(-MASKED);
    }
}
