package io.github.peft4j.core.hooks;

import ai.djl.ndarray.NDArray;

/**
 * Virtual-token embeddings for prompt tuning and P-tuning, sent to the model with one forward call.
 *
 * <p>Contract for a model's embedding stage that finds this in the {@link ForwardContext}: prepend
 * {@code embeddings} ([batch or 1, num_virtual_tokens, hidden]) to the token embeddings, prepend
 * {@code num_virtual_tokens} ones to the attention mask if one is given, and return outputs for the
 * whole extended sequence, exactly as Hugging Face's {@code inputs_embeds = cat(prompts, embeds)}.
 * The caller pads labels with {@code -100} for the virtual positions.
 *
 * <pre>{@code
 * ForwardContext ctx = ForwardContext.empty().with(VirtualTokens.KEY, new VirtualTokens(prompt));
 * }</pre>
 *
 * @param embeddings [batch or 1, num_virtual_tokens, hidden]
 */
public record VirtualTokens(NDArray embeddings) {

    /** The context key. */
    public static final ForwardContext.Key<VirtualTokens> KEY =
            new ForwardContext.Key<>("virtual_tokens", VirtualTokens.class);

    /** @return the number of virtual tokens */
    public int length() {
        return Math.toIntExact(embeddings.getShape().get(1));
    }
}
