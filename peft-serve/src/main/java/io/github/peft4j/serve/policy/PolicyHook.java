package io.github.peft4j.serve.policy;

import io.github.peft4j.serve.Tenant;

/**
 * A tenant's policy around generation. {@link #beforeGeneration} sees the prompt and may refuse it
 * by throwing an {@link io.github.peft4j.serve.ApiException}; {@link #afterGeneration} may rewrite
 * the finished text before it leaves the server. When a hook rewrites outputs, streamed responses
 * send the text once it is finished (a rewrite can change text already produced).
 *
 * <pre>{@code
 * PolicyHook noSecrets = new PolicyHook() {
 *     public void beforeGeneration(Tenant tenant, String model, String prompt) {
 *         if (prompt.contains("password")) throw ApiException.badRequest("prompt refused by policy", "policy");
 *     }
 * };
 * }</pre>
 */
public interface PolicyHook {

    /**
     * @param tenant who asks
     * @param model the {@code model} field as sent
     * @param prompt the prompt text (chat messages rendered)
     */
    default void beforeGeneration(Tenant tenant, String model, String prompt) {}

    /**
     * @param tenant who asked
     * @param model the {@code model} field as sent
     * @param completion the generated text
     * @return the text to return
     */
    default String afterGeneration(Tenant tenant, String model, String completion) {
        return completion;
    }

    /** @return whether {@link #afterGeneration} may change text (streams are then sent when finished) */
    default boolean rewritesOutput() {
        return false;
    }
}
