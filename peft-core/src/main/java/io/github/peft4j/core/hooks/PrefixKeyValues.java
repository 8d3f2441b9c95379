package io.github.peft4j.core.hooks;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * Per-layer key/value prefixes for prefix tuning, sent to the model with one forward call.
 *
 * <p>Contract for an attention layer {@code i} that finds this in the {@link ForwardContext}:
 * concatenate {@code keys().get(i)} and {@code values().get(i)} ([batch or 1, num_key_value_heads,
 * num_virtual_tokens, head_dim]) in front of its own keys and values, let every query attend to
 * them, and treat them as a KV cache of length {@code num_virtual_tokens}: the attention mask gets
 * that many leading ones and the positions of the real tokens start at {@code num_virtual_tokens},
 * as with Hugging Face's {@code past_key_values}.
 *
 * <pre>{@code
 * ForwardContext ctx = ForwardContext.empty().with(PrefixKeyValues.KEY, new PrefixKeyValues(keys, values));
 * }</pre>
 *
 * @param keys one tensor per layer
 * @param values one tensor per layer
 */
public record PrefixKeyValues(List<NDArray> keys, List<NDArray> values) {

    /** The context key. */
    public static final ForwardContext.Key<PrefixKeyValues> KEY =
            new ForwardContext.Key<>("prefix_key_values", PrefixKeyValues.class);

    /**
     * @param keys one tensor per layer
     * @param values one tensor per layer
     */
    public PrefixKeyValues {
        if (keys.size() != values.size()) {
            throw new IllegalArgumentException(
                    "prefix keys for " + keys.size() + " layers but values for " + values.size());
        }
        keys = List.copyOf(keys);
        values = List.copyOf(values);
    }

    /** @return the number of virtual tokens */
    public int length() {
        return Math.toIntExact(keys.get(0).getShape().get(2));
    }
}
