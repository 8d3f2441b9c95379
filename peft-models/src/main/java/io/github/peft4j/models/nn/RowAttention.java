package io.github.peft4j.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import io.github.peft4j.core.tuner.Tensors;
import io.github.peft4j.models.generation.DecodeRows;
import io.github.peft4j.models.generation.KvCache;

/**
 * Attention of a batched decode step ({@link DecodeRows}): each row attends over its own cache,
 * alone, with the same ops and shapes whichever rows share the step, so that its floats never
 * depend on them. Nothing is padded (a padded softmax would change the summation order) and no
 * mask is added: a row's caches hold no padding, so its query, at position {@code length}, sees
 * every cached key, or in a sliding-window layer only the last {@code window} of them (keys at
 * positions {@code > length - window}, as the causal mask of a full forward allows them; Mistral,
 * Qwen2/3, and Gemma 2/3's sliding layers). The window only narrows what the query reads: the
 * cache keeps every position. Grouped-query attention runs without repeating keys: the
 * {@code heads / kvHeads} query heads of one key/value head are the rows of one matmul.
 *
 * <pre>{@code
 * NDArray context = RowAttention.attend(rows, layerIndex, q, k, v, heads / kvHeads, scale, 0f, 4096); // [B,H,1,D]
 * }</pre>
 */
public final class RowAttention {

    private RowAttention() {}

    /**
     * @param rows the step's rows and their caches
     * @param layer the layer index
     * @param q [B, heads, 1, D], rotated
     * @param k [B, kvHeads, 1, D], rotated
     * @param v [B, kvHeads, 1, D]
     * @param groups query heads per key/value head
     * @param scale the score scale
     * @param softcap Gemma 2's soft cap, or 0
     * @param window the layer's sliding window, or 0 for full attention
     * @return [B, heads, 1, D]; zeros for padding rows
     */
    public static NDArray attend(DecodeRows rows, int layer, NDArray q, NDArray k, NDArray v, int groups, float scale,
            float softcap, int window) {
        Shape qs = q.getShape();
        if (qs.get(0) != rows.size() || qs.get(2) != 1) {
            throw new IllegalArgumentException("a batched decode step takes one new token for each of its "
                    + rows.size() + " rows; got queries " + qs);
        }
        int batch = rows.size();
        NDList qRows = q.split(batch, 0);
        NDList kRows = k.split(batch, 0);
        NDList vRows = v.split(batch, 0);
        long kvHeads = k.getShape().get(1);
        NDList out = new NDList(batch);
        for (int i = 0; i < batch; i++) {
            KvCache cache = rows.cache(i);
            if (cache == null) {
                out.add(qRows.get(i).zerosLike());
                continue;
            }
            NDArray[] past = cache.layer(layer).orElseThrow(() -> new IllegalStateException(
                    "row cache has no keys for layer " + layer));
            NDArray keys = own(past[0].concat(kRows.get(i), 2), q);
            NDArray values = own(past[1].concat(vRows.get(i), 2), q);
            cache.stage(layer, keys, values);
            long seen = keys.getShape().get(2);
            if (window > 0 && seen > window) {
                String last = ":, :, " + (seen - window) + ":, :";
                keys = keys.get(last);
                values = values.get(last);
            }
            NDArray query = qRows.get(i).reshape(1, kvHeads, groups, qs.get(3));
            NDArray scores = query.matMul(keys.transpose(0, 1, 3, 2)).mul(Tensors.scalar(query, scale));
            if (softcap > 0) {
                scores = SoftCapping.apply(scores, softcap);
            }
            out.add(scores.softmax(-1).matMul(values).reshape(1, qs.get(1), 1, qs.get(3)));
        }
        return NDArrays.concat(out, 0);
    }

    /** A concat's result belongs to its first operand (the cache's manager); move it to the forward's. */
    private static NDArray own(NDArray fresh, NDArray like) {
        if (fresh.getManager() != like.getManager()) {
            fresh.attach(like.getManager());
        }
        return fresh;
    }
}
