package io.github.peft4j.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A promotion gate, checked against the evaluation reports stored with the versions (the shape of
 * {@code peft4j train}'s {@code report.json}: {@code domain.before/after.<metric>} and
 * {@code general.before/after.perplexity}). A {@code null} threshold is not checked.
 *
 * <ul>
 *   <li>{@code minGainOverBase}: the candidate's domain metric must beat the base model's (its own
 *   report's {@code before}) by at least this much, in the metric's units and direction (lower is
 *   better for {@code loss} and {@code perplexity}, higher for accuracies);</li>
 *   <li>{@code minGainOverHolder}: ... and beat the version now holding the alias (its
 *   {@code after}) by at least this much, when the alias has a holder;</li>
 *   <li>{@code maxGeneralPerplexityRatio}: general-text perplexity after / before must not exceed
 *   this (how much forgetting is tolerated);</li>
 *   <li>{@code review}: what human reviewers must have found (a minimum win rate, flags that must
 *   not have been raised), checked against the latest review recorded with the candidate.</li>
 * </ul>
 *
 * <pre>{@code
 * PromotionPolicy policy = new PromotionPolicy("perplexity", 100.0, 0.0, 12.0);
 * PromotionPolicy reviewed = new PromotionPolicy("perplexity", null, null, null,
 *         new ReviewGate(0.5, "base", ReviewGate.Bound.LOWER, List.of("unsafe")));
 * }</pre>
 *
 * @param domainMetric the domain metric key ({@code perplexity}, {@code loss}, {@code token_accuracy}, {@code accuracy})
 * @param minGainOverBase required gain over the base, or {@code null}
 * @param minGainOverHolder required gain over the alias holder, or {@code null}
 * @param maxGeneralPerplexityRatio the largest allowed general-text perplexity ratio, or {@code null}
 * @param review the human-review criteria, or {@code null}
 */
public record PromotionPolicy(String domainMetric, Double minGainOverBase, Double minGainOverHolder,
        Double maxGeneralPerplexityRatio, ReviewGate review) {

    /**
     * A gate on the eval report only.
     *
     * @param domainMetric the domain metric key
     * @param minGainOverBase required gain over the base, or {@code null}
     * @param minGainOverHolder required gain over the alias holder, or {@code null}
     * @param maxGeneralPerplexityRatio the largest allowed general-text perplexity ratio, or {@code null}
     */
    public PromotionPolicy(String domainMetric, Double minGainOverBase, Double minGainOverHolder,
            Double maxGeneralPerplexityRatio) {
        this(domainMetric, minGainOverBase, minGainOverHolder, maxGeneralPerplexityRatio, null);
    }

    /** @throws RegistryException if the metric is not one the reports hold */
    public PromotionPolicy {
        if (!List.of("perplexity", "loss", "token_accuracy", "accuracy").contains(domainMetric)) {
            throw new RegistryException("'" + domainMetric + "' is not a domain metric of an eval report;"
                    + " expected perplexity, loss, token_accuracy or accuracy");
        }
    }

    /**
     * @param candidate the version to promote
     * @param holder the version holding the alias now, or {@code null}
     * @param latestReview the candidate's latest recorded review, or {@code null}
     * @return every failed criterion, each naming both numbers; empty when the gate passes
     */
    List<String> failures(AdapterVersion candidate, AdapterVersion holder, AdapterReview latestReview) {
        List<String> out = new ArrayList<>();
        boolean lowerIsBetter = domainMetric.equals("perplexity") || domainMetric.equals("loss");
        JsonNode report = candidate.evalReport();
        String metric = "domain " + domainMetric;
        if (minGainOverBase != null) {
            Double base = number(report, "domain", "before", domainMetric, candidate, out);
            Double mine = number(report, "domain", "after", domainMetric, candidate, out);
            if (base != null && mine != null) {
                double gain = lowerIsBetter ? base - mine : mine - base;
                if (!(gain >= minGainOverBase)) {
                    out.add(String.format(Locale.ROOT, "%s gain over the base is %s (base %s, %s %s); the policy needs >= %s",
                            metric, fmt(gain), fmt(base), candidate.ref(), fmt(mine), fmt(minGainOverBase)));
                }
            }
        }
        if (minGainOverHolder != null && holder != null && holder.number() != candidate.number()) {
            Double theirs = number(holder.evalReport(), "domain", "after", domainMetric, holder, out);
            Double mine = number(report, "domain", "after", domainMetric, candidate, out);
            if (theirs != null && mine != null) {
                double gain = lowerIsBetter ? theirs - mine : mine - theirs;
                if (!(gain >= minGainOverHolder)) {
                    out.add(String.format(Locale.ROOT, "%s gain over the alias holder %s is %s (%s %s, %s %s); the policy needs >= %s",
                            metric, holder.ref(), fmt(gain), holder.ref(), fmt(theirs), candidate.ref(), fmt(mine),
                            fmt(minGainOverHolder)));
                }
            }
        }
        if (maxGeneralPerplexityRatio != null) {
            Double before = number(report, "general", "before", "perplexity", candidate, out);
            Double after = number(report, "general", "after", "perplexity", candidate, out);
            if (before != null && after != null) {
                double ratio = after / before;
                if (!(ratio <= maxGeneralPerplexityRatio)) {
                    out.add(String.format(Locale.ROOT, "general-text perplexity ratio is %s (base %s, %s %s); the policy allows <= %s",
                            fmt(ratio), fmt(before), candidate.ref(), fmt(after), fmt(maxGeneralPerplexityRatio)));
                }
            }
        }
        if (review != null) {
            out.addAll(review.failures(candidate, latestReview));
        }
        return out;
    }

    /** @return the policy as JSON (recorded in the audit reason of a forced promotion) */
    public ObjectNode toJson() {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("domain_metric", domainMetric);
        o.put("min_gain_over_base", minGainOverBase);
        o.put("min_gain_over_holder", minGainOverHolder);
        o.put("max_general_perplexity_ratio", maxGeneralPerplexityRatio);
        if (review != null) {
            o.set("review", review.toJson());
        }
        return o;
    }

    private static Double number(JsonNode report, String set, String side, String key, AdapterVersion v, List<String> out) {
        JsonNode n = report.path(set).path(side).path(key);
        if (!n.isNumber()) {
            String path = set + "." + side + "." + key;
            String missing = v.ref() + " has no " + path + " in its stored eval report";
            if (!out.contains(missing)) {
                out.add(missing);
            }
            return null;
        }
        return n.asDouble();
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.4g", v);
    }
}
