package io.github.peft4j.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The human-review part of a promotion gate, checked against the latest review summary recorded
 * with the candidate version ({@link AdapterRegistry#recordReview}; the summary is what
 * {@code peft4j review summarize} writes). A {@code null} threshold and an empty flag list are not
 * checked.
 *
 * <ul>
 *   <li>{@code minWinRate}: the candidate's win rate over {@code against} ({@code base}, or
 *   {@code baseline} for an A/B review) must be at least this; with {@link Bound#LOWER} (the
 *   default) the lower end of its 95% Wilson interval is compared, so a small review cannot pass on
 *   luck; with {@link Bound#POINT} the point estimate is;</li>
 *   <li>{@code zeroFlags}: the reviewers must have raised none of these flags ({@code unsafe},
 *   {@code non_compliant}, {@code wrong_fact}, {@code pii}) on the candidate's outputs.</li>
 * </ul>
 *
 * <pre>{@code
 * ReviewGate review = new ReviewGate(0.5, "base", ReviewGate.Bound.LOWER, List.of("unsafe", "pii"));
 * PromotionPolicy policy = new PromotionPolicy("perplexity", null, null, null, review);
 * }</pre>
 *
 * @param minWinRate the least win rate, in [0, 1], or {@code null}
 * @param against the system the candidate is compared with: {@code base} or {@code baseline}
 * @param bound which number of the win rate is compared
 * @param zeroFlags flags that must have a count of zero on the candidate's outputs
 */
public record ReviewGate(Double minWinRate, String against, Bound bound, List<String> zeroFlags) {

    /** The system a review summary calls the version under review. */
    public static final String CANDIDATE = "candidate";

    /** Which number of a win rate a gate compares. */
    public enum Bound {
        /** the lower end of the Wilson score interval (95%) */
        LOWER("ci_low"),
        /** the point estimate */
        POINT("win_rate");

        private final String key;

        Bound(String key) {
            this.key = key;
        }
    }

    /** @throws RegistryException if the threshold is outside [0, 1] or {@code against} is unknown */
    public ReviewGate {
        if (minWinRate != null && !(minWinRate >= 0 && minWinRate <= 1)) {
            throw new RegistryException("the minimum win rate must be in [0, 1], not " + minWinRate);
        }
        if (!List.of("base", "baseline").contains(against)) {
            throw new RegistryException("'" + against + "' is not a reviewed system to compare with; expected base or baseline");
        }
        bound = bound == null ? Bound.LOWER : bound;
        zeroFlags = zeroFlags == null ? List.of() : List.copyOf(zeroFlags);
    }

    /** @return whether the gate checks anything */
    public boolean checksSomething() {
        return minWinRate != null || !zeroFlags.isEmpty();
    }

    /**
     * @param candidate the version to promote
     * @param review its latest recorded review, or {@code null}
     * @return every failed criterion, each naming both numbers
     */
    List<String> failures(AdapterVersion candidate, AdapterReview review) {
        List<String> out = new ArrayList<>();
        if (!checksSomething()) {
            return out;
        }
        if (review == null) {
            out.add(candidate.ref() + " has no recorded review (peft4j review summarize --record)");
            return out;
        }
        JsonNode summary = review.summary();
        if (minWinRate != null) {
            JsonNode comparison = comparison(summary);
            JsonNode value = comparison == null ? null : comparison.get(bound.key);
            if (value == null || !value.isNumber()) {
                out.add(String.format(Locale.ROOT, "%s's review (%s) has no judged comparison of the candidate with %s",
                        candidate.ref(), review.at(), against));
            } else if (!(value.asDouble() >= minWinRate)) {
                out.add(String.format(Locale.ROOT, "review win rate of %s over %s is %s (%s; %d wins, %d losses, %d ties);"
                        + " the policy needs >= %s", candidate.ref(), against,
                        bound == Bound.LOWER ? "%.4f at the lower 95%% bound".formatted(value.asDouble())
                                : "%.4f".formatted(value.asDouble()),
                        bound == Bound.LOWER ? "point %.4f".formatted(comparison.path("win_rate").asDouble())
                                : "95%% interval %.4f-%.4f".formatted(comparison.path("ci_low").asDouble(),
                                        comparison.path("ci_high").asDouble()),
                        comparison.path("wins").asInt(), comparison.path("losses").asInt(), comparison.path("ties").asInt(),
                        "%.4f".formatted(minWinRate)));
            }
        }
        JsonNode counts = summary.path("flags").path(CANDIDATE);
        for (String flag : zeroFlags) {
            JsonNode n = counts.get(flag);
            if (n == null || !n.isNumber()) {
                List<String> known = new ArrayList<>();
                counts.fieldNames().forEachRemaining(known::add);
                out.add(candidate.ref() + "'s review counts no flag '" + flag + "' (it counts " + known + ")");
            } else if (n.asInt() != 0) {
                out.add(String.format(Locale.ROOT, "reviewers flagged %d of %s's outputs '%s'; the policy needs 0",
                        n.asInt(), candidate.ref(), flag));
            }
        }
        return out;
    }

    /** @return the gate as JSON */
    ObjectNode toJson() {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("min_win_rate", minWinRate);
        o.put("against", against);
        o.put("bound", bound.name().toLowerCase(Locale.ROOT));
        zeroFlags.forEach(o.putArray("zero_flags")::add);
        return o;
    }

    private JsonNode comparison(JsonNode summary) {
        for (JsonNode c : summary.path("comparisons")) {
            if (CANDIDATE.equals(c.path("system").asText()) && against.equals(c.path("other").asText())) {
                return c;
            }
        }
        return null;
    }
}
