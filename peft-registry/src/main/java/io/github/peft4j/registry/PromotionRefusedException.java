package io.github.peft4j.registry;

import java.util.List;

/**
 * A promotion the gate refused. The message lists every failed criterion with both numbers; pass
 * {@code force} to promote anyway (the audit log records that it was forced and what it overrode).
 *
 * <pre>{@code
 * try {
 *     registry.promote("support:3", "production", PromotionRequest.gated(policy, "weekly refresh"));
 * } catch (PromotionRefusedException e) {
 *     e.failures().forEach(System.err::println);
 * }
 * }</pre>
 */
public class PromotionRefusedException extends RegistryException {

    private static final long serialVersionUID = 1L;

    private final List<String> failures;

    /**
     * @param what the version and alias, e.g. {@code "support:3 -> production"}
     * @param failures each failed criterion with both numbers
     */
    public PromotionRefusedException(String what, List<String> failures) {
        super("promotion " + what + " refused: " + String.join("; ", failures) + " (use force to override; it is logged)");
        this.failures = List.copyOf(failures);
    }

    /** @return each failed criterion with both numbers */
    public List<String> failures() {
        return failures;
    }
}
