package io.github.peft4j.core.hooks;

import ai.djl.util.PairList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Per-request data that travels with one forward call: virtual-token embeddings, per-layer key/value
 * prefixes, the adapter of each batch row. It is immutable; blocks read it, never store it, so one
 * model can serve many adapters from many threads.
 *
 * <p>It travels two ways at once. It is put into the {@code params} {@link PairList} that DJL passes
 * to {@code forward}, and it is made current on the calling thread for the duration of the call,
 * because some DJL blocks ({@code SequentialBlock} among them) drop {@code params} on the way down.
 * {@link #current(PairList)} looks in {@code params} first, then on the thread.
 *
 * <pre>{@code
 * ForwardContext ctx = ForwardContext.empty().with(VirtualTokens.KEY, new VirtualTokens(prompts));
 * try (ForwardContext.Scope scope = ctx.activate()) {
 *     base.forward(ps, inputs, training, ctx.addTo(params));
 * }
 * // inside a model block:
 * Optional<VirtualTokens> vt = ForwardContext.current(params).get(VirtualTokens.KEY);
 * }</pre>
 */
public final class ForwardContext {

    /** The key under which a context is stored in a forward call's {@code params}. */
    public static final String PARAM_KEY = "peft4j.forward_context";

    private static final ForwardContext EMPTY = new ForwardContext(Map.of());
    private static final ThreadLocal<ForwardContext> CURRENT = new ThreadLocal<>();

    private final Map<Key<?>, Object> values;

    private ForwardContext(Map<Key<?>, Object> values) {
        this.values = values;
    }

    /**
     * A typed key of a context entry.
     *
     * @param name a unique name, for messages
     * @param type the type of the value
     * @param <T> the type of the value
     */
    public record Key<T>(String name, Class<T> type) {}

    /** @return the context holding nothing */
    public static ForwardContext empty() {
        return EMPTY;
    }

    /**
     * @param key the entry's key
     * @param value the value; {@code null} removes the entry
     * @param <T> the value type
     * @return a new context with the entry set
     */
    public <T> ForwardContext with(Key<T> key, T value) {
        Map<Key<?>, Object> copy = new HashMap<>(values);
        if (value == null) {
            copy.remove(key);
        } else {
            copy.put(key, key.type().cast(value));
        }
        return new ForwardContext(Collections.unmodifiableMap(copy));
    }

    /**
     * @param key the entry's key
     * @param <T> the value type
     * @return the value, if present
     */
    public <T> Optional<T> get(Key<T> key) {
        return Optional.ofNullable(key.type().cast(values.get(key)));
    }

    /** @return whether the context holds nothing */
    public boolean isEmpty() {
        return values.isEmpty();
    }

    /**
     * @param params the {@code params} of a forward call, possibly {@code null}
     * @return a copy of {@code params} carrying this context
     */
    public PairList<String, Object> addTo(PairList<String, Object> params) {
        PairList<String, Object> out = new PairList<>();
        if (params != null) {
            for (int i = 0; i < params.size(); i++) {
                if (!PARAM_KEY.equals(params.keyAt(i))) {
                    out.add(params.keyAt(i), params.valueAt(i));
                }
            }
        }
        out.add(PARAM_KEY, this);
        return out;
    }

    /**
     * The context of the forward call in progress.
     *
     * @param params the {@code params} a block received, possibly {@code null}
     * @return the context from {@code params}, else the one current on this thread, else empty
     */
    public static ForwardContext current(PairList<String, Object> params) {
        if (params != null) {
            Object value = params.get(PARAM_KEY);
            if (value instanceof ForwardContext ctx) {
                return ctx;
            }
        }
        ForwardContext ctx = CURRENT.get();
        return ctx == null ? EMPTY : ctx;
    }

    /**
     * Makes this context current on the calling thread until the scope closes.
     *
     * @return the scope, to close in a try-with-resources
     */
    public Scope activate() {
        ForwardContext previous = CURRENT.get();
        CURRENT.set(this);
        return () -> {
            if (previous == null) {
                CURRENT.remove();
            } else {
                CURRENT.set(previous);
            }
        };
    }

    /** Restores the previous context when closed. */
    @FunctionalInterface
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }
}
