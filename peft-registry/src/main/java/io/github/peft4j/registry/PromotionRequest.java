package io.github.peft4j.registry;

/**
 * How to promote: the gate to apply (or none), whether to force past it, why, and who asks.
 *
 * <pre>{@code
 * registry.promote("support:3", "production", PromotionRequest.gated(policy, "March refresh"));
 * registry.promote("support:3", "canary", PromotionRequest.ungated("try it on 5% of traffic"));
 * }</pre>
 *
 * @param policy the gate, or {@code null} for none
 * @param force promote even if the gate refuses (logged with what it overrode)
 * @param reason why, for the audit log, or {@code null}
 * @param actor who, or {@code null} for this JVM's {@code user.name}
 */
public record PromotionRequest(PromotionPolicy policy, boolean force, String reason, String actor) {

    /**
     * @param policy the gate
     * @param reason why
     * @return a gated, unforced request by this JVM's user
     */
    public static PromotionRequest gated(PromotionPolicy policy, String reason) {
        return new PromotionRequest(policy, false, reason, null);
    }

    /**
     * @param reason why
     * @return a request without a gate
     */
    public static PromotionRequest ungated(String reason) {
        return new PromotionRequest(null, false, reason, null);
    }
}
