package io.github.peft4j.models.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.core.hooks.ForwardContext;
import io.github.peft4j.core.hooks.PrefixKeyValues;
import io.github.peft4j.core.hooks.VirtualTokens;
import io.github.peft4j.models.generation.DecodeRows;
import io.github.peft4j.models.generation.KvCache;
import io.github.peft4j.models.nn.AttentionBias;

/**
 * The positions, attention bias and cache bookkeeping of a generation step of a decoder BERT
 * ({@code is_decoder}, {@code BertLMHeadModel}): a call that fills or extends a {@link KvCache}, or a
 * batched decode step ({@link DecodeRows}). Positions come from the mask over cached and new
 * positions ({@code cumsum(mask) - 1}), as transformers' generation passes {@code position_ids}, so a
 * left-padded row has the positions it would have alone; virtual tokens and prefixes apply to the
 * call that fills an empty cache, as in Hugging Face PEFT.
 *
 * <pre>{@code
 * BertDecoderSteps steps = BertDecoderSteps.of(ctx, ids, mask);   // null outside generation
 * // ... embeddings at steps.positions(), encoder with steps.bias() ...
 * steps.finish(ids.getManager());
 * }</pre>
 */
final class BertDecoderSteps {

    private final NDArray positions;
    private final NDArray bias;
    private final NDArray fullMask;
    private final KvCache cache;
    private final DecodeRows rows;

    private BertDecoderSteps(NDArray positions, NDArray bias, NDArray fullMask, KvCache cache, DecodeRows rows) {
        this.positions = positions;
        this.bias = bias;
        this.fullMask = fullMask;
        this.cache = cache;
        this.rows = rows;
    }

    /**
     * @param ctx the forward's context
     * @param causal whether the model is a decoder ({@code is_decoder})
     * @param ids [B, T] input ids
     * @param mask the attention mask ([B, T], or [B, past + virtual + T]), or {@code null}
     * @return the step, or {@code null} when the call carries no cache (a plain forward)
     * @throws PeftCompatibilityException when a cache comes with a bidirectional model
     */
    static BertDecoderSteps of(ForwardContext ctx, boolean causal, NDArray ids, NDArray mask) {
        DecodeRows rows = ctx.get(DecodeRows.KEY).orElse(null);
        KvCache cache = ctx.get(KvCache.KEY).orElse(null);
        if (rows == null && cache == null) {
            return null;
        }
        if (!causal) {
            throw new PeftCompatibilityException("BERT generates only as a decoder (is_decoder: true in config.json):"
                    + " bidirectional attention cannot reuse the keys of earlier positions");
        }
        NDManager m = ids.getManager();
        long batch = ids.getShape().get(0);
        long tokens = ids.getShape().get(1);
        if (rows != null) {
            if (batch != rows.size() || tokens != 1) {
                throw new IllegalArgumentException("a batched decode step takes one new token for each of its "
                        + rows.size() + " rows; got " + ids.getShape());
            }
            rows.discardStaged();
            // RowAttention attends row by row over each row's cache: the bias is a placeholder
            return new BertDecoderSteps(rows.positions(m), m.zeros(new Shape(batch, 1, 1, 1)), null, null, rows);
        }
        cache.discardStaged();
        boolean fresh = cache.isEmpty();
        long virtual = fresh ? ctx.get(VirtualTokens.KEY).map(VirtualTokens::length).orElse(0) : 0;
        long prefix = fresh ? ctx.get(PrefixKeyValues.KEY).map(PrefixKeyValues::length).orElse(0) : 0;
        long past = fresh ? prefix : cache.length();
        NDArray given = mask == null ? m.ones(new Shape(batch, tokens), DataType.INT64) : mask.toType(DataType.INT64, false);
        long width = given.getShape().get(1);
        NDArray newMask;
        if (width == tokens) {
            newMask = virtual > 0 ? m.ones(new Shape(batch, virtual), DataType.INT64).concat(given, 1) : given;
        } else if (width == virtual + tokens) {
            newMask = given;
        } else if (width == past + virtual + tokens) {
            newMask = given.get(":, " + past + ":");
        } else {
            throw new IllegalArgumentException("attention mask " + given.getShape() + " does not fit " + tokens
                    + " input ids after " + past + " cached/prefix and " + virtual + " virtual positions");
        }
        NDArray pastMask = fresh ? (prefix > 0 ? m.ones(new Shape(batch, prefix), DataType.INT64) : null)
                : cache.mask().orElseThrow();
        NDArray full = pastMask == null ? newMask : own(pastMask.concat(newMask, 1), m);
        NDArray positions = full.cumSum(1).sub(1L).maximum(0L).get(":, " + past + ":");
        NDArray bias = AttentionBias.causal(full, virtual + tokens, null);
        return new BertDecoderSteps(positions, bias, full, cache, null);
    }

    /** @return [B, virtual + T] position ids of the new positions */
    NDArray positions() {
        return positions;
    }

    /** @return the additive causal bias over cached and new positions */
    NDArray bias() {
        return bias;
    }

    /**
     * Commits the cache once every layer has run.
     *
     * @param m the forward's manager
     */
    void finish(NDManager m) {
        if (rows != null) {
            rows.commit(m);
        } else {
            // a copy: the mask may be the caller's own array, which the cache must not take over
            cache.commit(fullMask.duplicate());
        }
    }

    private static NDArray own(NDArray fresh, NDManager m) {
        if (fresh.getManager() != m) {
            fresh.attach(m);
        }
        return fresh;
    }
}
