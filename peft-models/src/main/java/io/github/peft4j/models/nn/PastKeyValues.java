package io.github.peft4j.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.peft4j.core.hooks.ForwardContext;
import io.github.peft4j.core.hooks.PrefixKeyValues;
import io.github.peft4j.models.generation.KvCache;
import java.util.Optional;

/**
 * What an attention layer puts in front of its own keys and values: the {@link KvCache} of earlier
 * generation steps, or, on a call without cached positions, the {@link PrefixKeyValues} of prefix
 * tuning (which then become the first cached positions, as in Hugging Face PEFT's generation).
 *
 * <pre>{@code
 * NDArray[] kv = PastKeyValues.extend(ForwardContext.current(params), layerIndex, k, v);
 * }</pre>
 */
public final class PastKeyValues {

    private PastKeyValues() {}

    /**
     * @param ctx the forward's context
     * @param layer the layer index
     * @param keys this call's keys, [B, kvHeads, T, D]
     * @param values this call's values, [B, kvHeads, T, D]
     * @return keys and values of all visible positions, [B, kvHeads, past + T, D], owned by the
     *     manager of {@code keys}
     */
    public static NDArray[] extend(ForwardContext ctx, int layer, NDArray keys, NDArray values) {
        Optional<KvCache> cache = ctx.get(KvCache.KEY);
        NDArray pastK = null;
        NDArray pastV = null;
        Optional<NDArray[]> cached = cache.flatMap(c -> c.layer(layer));
        if (cached.isPresent()) {
            pastK = cached.get()[0];
            pastV = cached.get()[1];
        } else if (cache.map(KvCache::isEmpty).orElse(true)) {
            Optional<PrefixKeyValues> prefix = ctx.get(PrefixKeyValues.KEY);
            if (prefix.isPresent()) {
                long batch = keys.getShape().get(0);
                pastK = expandBatch(prefix.get().keys().get(layer), batch, keys.getManager());
                pastV = expandBatch(prefix.get().values().get(layer), batch, keys.getManager());
            }
        }
        NDArray allK = pastK == null ? keys : own(pastK.concat(keys, 2), keys.getManager());
        NDArray allV = pastV == null ? values : own(pastV.concat(values, 2), keys.getManager());
        cache.ifPresent(c -> c.stage(layer, allK, allV));
        return new NDArray[] {allK, allV};
    }

    private static NDArray expandBatch(NDArray prefix, long batch, NDManager target) {
        Shape s = prefix.getShape();
        if (s.get(0) == batch) {
            return prefix;
        }
        return own(prefix.broadcast(new Shape(batch, s.get(1), s.get(2), s.get(3))), target);
    }

    /** A fresh result belongs to its first operand's manager; move it to the forward's manager. */
    private static NDArray own(NDArray fresh, NDManager target) {
        if (fresh.getManager() != target) {
            fresh.attach(target);
        }
        return fresh;
    }
}
