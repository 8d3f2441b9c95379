package io.github.peft4j.models.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.hooks.ForwardContext;
import io.github.peft4j.models.CausalLM;
import java.util.ArrayList;
import java.util.List;

/**
 * One sequence decoded one token at a time, with a {@link KvCache} of its own: the unit a server
 * interleaves with other sequences (continuous batching). Each call is a forward of this row alone
 * (a batch of one), so the numbers a sequence sees never depend on which other sequences are being
 * decoded at the same time, nor on how many: a greedy sequence decodes to the same tokens alone and
 * under load, bit for bit. Sampling draws from the sequence's own seeded generator; the repetition
 * penalty counts this sequence's prompt and generated tokens. Stop strings are the caller's to check
 * ({@link StopStrings}), as {@code maxNewTokens} is.
 *
 * <p>The caller's {@link ForwardContext} travels with every forward, so per-request data such as
 * an {@code AdapterRouting} of one row selects this sequence's adapter without touching the shared
 * model's active adapters. Not thread-safe; different decoders may run on different threads.
 *
 * <pre>{@code
 * ForwardContext ctx = ForwardContext.empty().with(AdapterRouting.KEY, new AdapterRouting(List.of("acme")));
 * try (SequenceDecoder d = new SequenceDecoder(peftModel, ctx, GenerationConfig.greedy(16))) {
 *     long token = d.prefill(tokenizer.encode("Where is my order?"));
 *     while (!d.isEos(token) && d.generated() < 16) {
 *         token = d.next();
 *     }
 * }
 * }</pre>
 */
public final class SequenceDecoder implements AutoCloseable {

    private final Block model;
    private final CausalLM lm;
    private final ForwardContext context;
    private final ForwardContext callerContext;
    private final TokenChooser chooser;
    private final List<Integer> eos;
    private final NDManager session;
    private final KvCache cache;
    private final ParameterStore parameterStore;
    private final List<Long> seen = new ArrayList<>();
    private long last = -1;
    private int generated;

    /**
     * @param model a causal LM block or a block wrapping one (a {@code PeftModel})
     * @param context per-request data for every forward (adapter routing, say); the cache is added
     * @param config decoding settings ({@code maxNewTokens} is the caller's to enforce)
     */
    public SequenceDecoder(Block model, ForwardContext context, GenerationConfig config) {
        this.model = model;
        this.lm = CausalLM.find(model).orElseThrow(() -> new PeftCompatibilityException(
                model.getClass().getSimpleName() + " is not a causal language model (nor a PeftModel of one)"));
        this.chooser = new TokenChooser(config);
        this.eos = config.eosTokenIds() != null ? config.eosTokenIds() : lm.config().eosTokenIds();
        NDManager parent = model.getParameters().values().stream().filter(p -> p.isInitialized())
                .findFirst().orElseThrow(() -> new PeftConfigException("the model has no initialised parameters"))
                .getArray().getManager();
        this.session = parent.newSubManager();
        this.cache = new KvCache(session);
        this.callerContext = context;
        this.context = context.with(KvCache.KEY, cache);
        this.parameterStore = new ParameterStore(session, false);
    }

    /**
     * Runs the prompt and picks the first new token.
     *
     * @param prompt the prompt's token ids (at least one)
     * @return the first generated token
     */
    public long prefill(long[] prompt) {
        checkPrompt(prompt);
        return step(prompt);
    }

    /**
     * Runs one chunk of a prompt without picking a token (chunked prefill, as vLLM's): the cache
     * grows by the chunk's positions; the prompt's last chunk goes to {@link #prefill}, which picks
     * the first token. A server interleaves the chunks of a long prompt with other sequences' decode
     * steps; the result equals the whole prompt in one forward within rounding.
     *
     * <pre>{@code
     * d.prefillChunk(Arrays.copyOfRange(prompt, 0, 64));
     * long first = d.prefill(Arrays.copyOfRange(prompt, 64, prompt.length));
     * }</pre>
     *
     * @param chunk the prompt's next tokens (at least one)
     */
    public void prefillChunk(long[] chunk) {
        checkPrompt(chunk);
        forward(chunk, false);
        for (long id : chunk) {
            seen.add(id);
        }
    }

    private void checkPrompt(long[] tokens) {
        if (generated > 0) {
            throw new PeftConfigException("this decoder has already run its prompt");
        }
        if (tokens.length == 0) {
            throw new PeftConfigException("prompts must hold at least one token");
        }
    }

    /** @return the next token, after feeding the previous one */
    public long next() {
        if (cache.isEmpty()) {
            throw new PeftConfigException("call prefill before next");
        }
        return step(new long[] {last});
    }

    /**
     * @param token a token id
     * @return whether it ends the sequence
     */
    public boolean isEos(long token) {
        return eos.contains((int) token);
    }

    /** @return the tokens generated so far */
    public int generated() {
        return generated;
    }

    /** @return the positions in the cache (prompt plus generated tokens fed back) */
    public int length() {
        return cache.length();
    }

    private long step(long[] ids) {
        return accept(ids, forward(ids, true), 0);
    }

    /** One forward of {@code ids} after the cached positions; the last position's logits when asked. */
    @SuppressWarnings("try") // the scope only makes the context current on this thread
    private float[] forward(long[] ids, boolean logits) {
        try (NDManager sm = session.newSubManager()) {
            Shape shape = new Shape(1, ids.length);
            NDList in = new NDList(sm.create(ids, shape), sm.ones(shape, DataType.INT64));
            try (ForwardContext.Scope scope = context.activate()) {
                NDArray out = model.forward(parameterStore, in, false, context.addTo(null)).head();
                return logits ? out.get(":, -1, :").toFloatArray() : null;
            }
        } catch (RuntimeException e) {
            cache.discardStaged();
            throw e;
        }
    }

    /** Records the tokens fed and picks the next one from this row's logits at {@code offset}. */
    long accept(long[] fed, float[] logits, int offset) {
        for (long id : fed) {
            seen.add(id);
        }
        last = chooser.choose(logits, offset, lm.vocabSize(), seen);
        generated++;
        return last;
    }

    /** @return the model this decoder runs */
    Block model() {
        return model;
    }

    /** @return the vocabulary size of its logits */
    int vocabSize() {
        return lm.vocabSize();
    }

    /** @return the cache (filled by prefill) */
    KvCache cache() {
        return cache;
    }

    /** @return the caller's context (without the cache) */
    ForwardContext callerContext() {
        return callerContext;
    }

    /** @return the manager under which this decoder's arrays live */
    NDManager session() {
        return session;
    }

    /** @return the last token chosen, fed at the next step */
    long last() {
        return last;
    }

    /** Frees the cache. */
    @Override
    public void close() {
        cache.close();
        session.close();
    }
}
