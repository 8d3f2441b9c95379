package io.github.peft4j.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.core.hooks.ForwardContext;
import io.github.peft4j.core.hooks.PrefixKeyValues;
import io.github.peft4j.core.hooks.VirtualTokens;
import io.github.peft4j.models.generation.DecodeRows;
import io.github.peft4j.models.generation.KvCache;
import java.util.Optional;

/**
 * The per-call inputs of a decoder body, resolved once before its layers run: token embeddings
 * with virtual tokens in front, the attention mask over cached/prefix plus new positions, the
 * position ids and the causal bias.
 *
 * <p>Positions come from the mask ({@code cumsum(mask) - 1}), as transformers' generation computes
 * them, so that left padding does not shift a row's positions; for unpadded or right-padded input
 * they equal {@code past, past+1, ...}. Virtual tokens and prefixes apply only to a call that has no
 * cached positions yet (the prompt step of generation), as in Hugging Face PEFT.
 *
 * <pre>{@code
 * CausalInputs in = CausalInputs.embed(embedTokens, ps, inputs, training, params, null);
 * // ... run the layers on in.embeddings() with in.bias() ...
 * in.finish();
 * }</pre>
 */
public final class CausalInputs {

    private final NDArray embeddings;
    private final NDArray fullMask;
    private final NDArray positions;
    private final NDArray bias;
    private final KvCache cache;
    private final DecodeRows rows;

    private CausalInputs(NDArray embeddings, NDArray fullMask, NDArray positions, NDArray bias, KvCache cache,
            DecodeRows rows) {
        this.embeddings = embeddings;
        this.fullMask = fullMask;
        this.positions = positions;
        this.bias = bias;
        this.cache = cache;
        this.rows = rows;
    }

    /**
     * Embeds a decoder body's inputs {@code (input_ids [B,T], optional attention_mask)} and prepares
     * them, as each decoder's forward begins.
     *
     * @param embedTokens the token embedding ({@code wte}, {@code embed_tokens})
     * @param ps the parameter store of the forward
     * @param inputs the body's inputs
     * @param training whether this is a training forward
     * @param params the forward's params, holding its {@link ForwardContext}
     * @param slidingWindow the attention window, or {@code null}
     * @return the resolved inputs
     */
    public static CausalInputs embed(Block embedTokens, ParameterStore ps, NDList inputs, boolean training,
            PairList<String, Object> params, Integer slidingWindow) {
        NDArray mask = inputs.size() > 1 ? inputs.get(1) : null;
        NDArray tokens = embedTokens.forward(ps, new NDList(inputs.get(0)), training, params).head();
        return prepare(ForwardContext.current(params), tokens, mask, slidingWindow);
    }

    /**
     * @param ctx the forward's context
     * @param tokenEmbeddings [B, T, H] embeddings of the input ids
     * @param mask the attention mask ([B, T] for the new tokens, or [B, past + T]), or {@code null}
     * @param slidingWindow the attention window, or {@code null}
     * @return the resolved inputs
     */
    public static CausalInputs prepare(ForwardContext ctx, NDArray tokenEmbeddings, NDArray mask,
            Integer slidingWindow) {
        NDManager m = tokenEmbeddings.getManager();
        long batch = tokenEmbeddings.getShape().get(0);
        long tokens = tokenEmbeddings.getShape().get(1);
        Optional<DecodeRows> rows = ctx.get(DecodeRows.KEY);
        if (rows.isPresent()) {
            return decodeRows(rows.get(), tokenEmbeddings, slidingWindow);
        }
        KvCache cache = ctx.get(KvCache.KEY).orElse(null);
        boolean fresh = cache == null || cache.isEmpty();
        if (cache != null) {
            cache.discardStaged();
        }
        Optional<VirtualTokens> virtual = fresh ? ctx.get(VirtualTokens.KEY) : Optional.empty();
        Optional<PrefixKeyValues> prefix = fresh ? ctx.get(PrefixKeyValues.KEY) : Optional.empty();

        NDArray pastMask = null;
        if (!fresh) {
            pastMask = cache.mask().orElseThrow();
        } else if (prefix.isPresent()) {
            pastMask = m.ones(new Shape(batch, prefix.get().length()), DataType.INT64);
        }
        long past = pastMask == null ? 0 : pastMask.getShape().get(1);

        long virtualLength = virtual.map(VirtualTokens::length).orElse(0);
        // the mask may cover the new tokens only, or also the virtual tokens, or also the past
        long given = mask == null ? tokens : mask.getShape().get(1);
        boolean coversVirtual = given == virtualLength + tokens || given == past + virtualLength + tokens;
        NDArray newMask = mask == null ? m.ones(new Shape(batch, tokens), DataType.INT64) : asInt64(mask);
        if (given == past + virtualLength + tokens && past > 0) {
            newMask = newMask.get(":, " + past + ":");
        } else if (given != tokens && given != virtualLength + tokens) {
            throw new IllegalArgumentException("attention mask " + mask.getShape() + " does not fit " + tokens
                    + " input ids after " + past + " cached/prefix and " + virtualLength + " virtual positions");
        }

        NDArray embeddings = tokenEmbeddings;
        if (virtual.isPresent()) {
            NDArray prompts = virtual.get().embeddings();
            Shape ps = prompts.getShape();
            if (ps.get(0) != batch) {
                prompts = prompts.broadcast(new Shape(batch, ps.get(1), ps.get(2)));
            }
            embeddings = prompts.concat(tokenEmbeddings, 1);
            adopt(embeddings, m);
            if (!coversVirtual || virtualLength == 0) {
                newMask = m.ones(new Shape(batch, ps.get(1)), DataType.INT64).concat(newMask, 1);
            }
        }
        NDArray fullMask = pastMask == null ? newMask : adopt(pastMask.concat(newMask, 1), m);
        long queries = embeddings.getShape().get(1);
        NDArray positions = fullMask.cumSum(1).sub(1L).maximum(0L).get(":, " + past + ":");
        NDArray bias = AttentionBias.causal(fullMask, queries, slidingWindow);
        return new CausalInputs(embeddings, fullMask, positions, bias, cache, null);
    }

    /**
     * A batched decode step: one new token per row, each row at its own cache's length. Attention
     * runs row by row ({@link RowAttention}) and needs no mask: the bias is a zero placeholder, and
     * a layer's sliding window is applied by its {@link AttentionHeads#withSlidingWindow heads}. A
     * window given here, for every layer, would reach no heads: it is refused.
     */
    private static CausalInputs decodeRows(DecodeRows rows, NDArray tokenEmbeddings, Integer slidingWindow) {
        NDManager m = tokenEmbeddings.getManager();
        if (tokenEmbeddings.getShape().get(0) != rows.size() || tokenEmbeddings.getShape().get(1) != 1) {
            throw new IllegalArgumentException("a batched decode step takes one new token for each of its "
                    + rows.size() + " rows; got " + tokenEmbeddings.getShape());
        }
        if (slidingWindow != null) {
            throw new PeftCompatibilityException("batched decode steps take a sliding window from each layer's"
                    + " attention heads (AttentionHeads.withSlidingWindow), not from the decoder's inputs");
        }
        rows.discardStaged();
        NDArray placeholder = m.zeros(new Shape(rows.size(), 1, 1, 1));
        return new CausalInputs(tokenEmbeddings, null, rows.positions(m), placeholder, null, rows);
    }

    private static NDArray asInt64(NDArray mask) {
        return mask.getDataType() == DataType.INT64 ? mask : mask.toType(DataType.INT64, false);
    }

    private static NDArray adopt(NDArray fresh, NDManager m) {
        if (fresh.getManager() != m) {
            fresh.attach(m);
        }
        return fresh;
    }

    /** @return [B, T', H]: virtual-token embeddings (if any) then the token embeddings */
    public NDArray embeddings() {
        return embeddings;
    }

    /** @return [B, past + T'] INT64 attention mask over every visible position; null in a batched decode step */
    public NDArray fullMask() {
        return fullMask;
    }

    /** @return [B, T'] INT64 position ids of the new positions */
    public NDArray positions() {
        return positions;
    }

    /** @return [B, 1, T', past + T'] additive attention bias */
    public NDArray bias() {
        return bias;
    }

    /**
     * @param window a sliding window
     * @return [B, 1, T', past + T'] the causal bias that also hides keys {@code window} or more
     *     positions back (layers of models that mix sliding and full attention); in a batched decode
     *     step the zero placeholder, as the layer's {@link AttentionHeads} apply their window there
     */
    public NDArray slidingBias(int window) {
        if (rows != null) {
            return bias;
        }
        return AttentionBias.causal(fullMask, embeddings.getShape().get(1), window);
    }

    /** Commits the cache (if any) once every layer has run. */
    public void finish() {
        if (rows != null) {
            rows.commit(embeddings.getManager());
        }
        if (cache != null) {
            // a copy: the mask may be the caller's own array, which the cache must not take over
            cache.commit(fullMask.duplicate());
        }
    }
}
