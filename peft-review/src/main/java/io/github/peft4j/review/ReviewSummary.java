package io.github.peft4j.review;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What a review found: for each pair of systems the win rate with its 95% Wilson interval (ties
 * count half, see {@link Comparison}), the acceptance rate of each system (outputs judged
 * acceptable among those judged at all), and how many of each system's outputs were flagged, per
 * flag. Each verdict counts once, so two reviewers judging the same item count twice. The JSON
 * ({@link #toJson}) is what {@code peft4j review summarize} writes and what the registry stores
 * with a version for its promotion gate.
 *
 * <pre>{@code
 * ReviewSummary s = ReviewSummary.of(sheet, VerdictFile.read(verdictsFile, sheet));
 * System.out.println(s.toText());
 * Comparison vsBase = s.comparison("candidate", "base");
 * }</pre>
 *
 * @param sheet the sheet reviewed
 * @param verdicts how many verdicts were read
 * @param reviewers the reviewers' names, in order of appearance
 * @param itemsJudged how many distinct items have at least one verdict
 * @param comparisons the pairs of {@link ReviewSheet#comparisons()}
 * @param acceptance system → acceptable outputs and outputs judged
 * @param flags system → flag → outputs flagged
 */
public record ReviewSummary(ReviewSheet sheet, int verdicts, List<String> reviewers, int itemsJudged,
        List<Comparison> comparisons, Map<String, Acceptance> acceptance, Map<String, Map<Flag, Integer>> flags) {

    /** The format name in the JSON. */
    public static final String FORMAT = "peft4j-review-summary";

    /**
     * @param acceptable outputs judged acceptable
     * @param judged outputs judged acceptable or not
     */
    public record Acceptance(int acceptable, int judged) {
        /** @return acceptable / judged, or {@code null} when none was judged */
        public Double rate() {
            return judged == 0 ? null : (double) acceptable / judged;
        }
    }

    /**
     * @param sheet the sheet
     * @param verdicts verdicts on it (checked by {@link VerdictFile#read})
     * @return the summary
     */
    public static ReviewSummary of(ReviewSheet sheet, List<Verdict> verdicts) {
        Map<String, int[]> accept = new LinkedHashMap<>();
        Map<String, Map<Flag, Integer>> flags = new LinkedHashMap<>();
        for (ReviewedSystem s : sheet.systems()) {
            accept.put(s.name(), new int[2]);
            Map<Flag, Integer> zero = new EnumMap<>(Flag.class);
            for (Flag f : Flag.values()) {
                zero.put(f, 0);
            }
            flags.put(s.name(), zero);
        }
        Set<String> reviewers = new LinkedHashSet<>();
        Set<String> items = new LinkedHashSet<>();
        for (Verdict v : verdicts) {
            ReviewItem item = sheet.item(v.item());
            reviewers.add(v.reviewer());
            items.add(v.item());
            v.acceptable().forEach((label, ok) -> {
                int[] counts = accept.get(item.systemOf().get(label));
                counts[0] += ok ? 1 : 0;
                counts[1]++;
            });
            v.flags().forEach((label, set) -> set.forEach(f -> flags.get(item.systemOf().get(label)).merge(f, 1, Integer::sum)));
        }
        List<Comparison> comparisons = new ArrayList<>();
        for (List<String> pair : sheet.comparisons()) {
            comparisons.add(compare(sheet, verdicts, pair.get(0), pair.get(1)));
        }
        Map<String, Acceptance> acceptance = new LinkedHashMap<>();
        accept.forEach((s, c) -> acceptance.put(s, new Acceptance(c[0], c[1])));
        return new ReviewSummary(sheet, verdicts.size(), List.copyOf(reviewers), items.size(), List.copyOf(comparisons),
                Collections.unmodifiableMap(acceptance), Collections.unmodifiableMap(flags));
    }

    private static Comparison compare(ReviewSheet sheet, List<Verdict> verdicts, String system, String other) {
        int wins = 0;
        int losses = 0;
        int ties = 0;
        for (Verdict v : verdicts) {
            if (v.preferred() == null) {
                continue;
            }
            if (v.preferred().equals(Verdict.TIE)) {
                ties++;
                continue;
            }
            String winner = sheet.item(v.item()).systemOf().get(v.preferred());
            wins += winner.equals(system) ? 1 : 0;
            losses += winner.equals(other) ? 1 : 0;
        }
        return new Comparison(system, other, wins, losses, ties);
    }

    /**
     * @param system the first system
     * @param other the second
     * @return their comparison, or {@code null} if the sheet does not compare them
     */
    public Comparison comparison(String system, String other) {
        return comparisons.stream().filter(c -> c.system().equals(system) && c.other().equals(other)).findFirst().orElse(null);
    }

    /** @return the summary as JSON: the shape {@code review summarize} writes and the registry's gate reads */
    public ObjectNode toJson() {
        ObjectNode o = ReviewJson.MAPPER.createObjectNode();
        o.put("format", FORMAT);
        o.put("version", 1);
        o.put("sheet", sheet.id());
        o.put("items", sheet.items().size());
        o.put("items_judged", itemsJudged);
        o.put("verdicts", verdicts);
        reviewers.forEach(o.putArray("reviewers")::add);
        o.put("ties", "half");
        o.put("interval", "wilson");
        o.put("confidence", 0.95);
        ObjectNode systems = o.putObject("systems");
        for (ReviewedSystem s : sheet.systems()) {
            systems.putObject(s.name()).put("source", s.source()).put("fingerprint", s.fingerprint());
        }
        ArrayNode pairs = o.putArray("comparisons");
        comparisons.forEach(c -> pairs.add(c.toJson()));
        ObjectNode acc = o.putObject("acceptance");
        acceptance.forEach((s, a) -> acc.putObject(s).put("acceptable", a.acceptable()).put("judged", a.judged()).put("rate", a.rate()));
        ObjectNode fl = o.putObject("flags");
        flags.forEach((s, counts) -> {
            ObjectNode per = fl.putObject(s);
            counts.forEach((f, n) -> per.put(f.key(), n));
        });
        return o;
    }

    /** @return the summary for a terminal */
    public String toText() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "review %s: %d verdicts on %d of %d items, reviewers %s%n", sheet.id(), verdicts,
                itemsJudged, sheet.items().size(), reviewers.stream().map(r -> r.isEmpty() ? "(unnamed)" : r).toList()));
        sb.append("win rate (ties count half; 95% Wilson interval)\n");
        for (Comparison c : comparisons) {
            String rate = c.winRate() == null ? "  -    no verdict compared them"
                    : String.format(Locale.ROOT, "%.3f  [%.3f, %.3f]", c.winRate(), c.interval().low(), c.interval().high());
            sb.append(String.format(Locale.ROOT, "  %-24s %s  %d wins, %d losses, %d ties%n",
                    c.system() + " vs " + c.other(), rate, c.wins(), c.losses(), c.ties()));
        }
        sb.append("acceptable\n");
        acceptance.forEach((s, a) -> sb.append(String.format(Locale.ROOT, "  %-10s %3d/%-3d %s%n", s, a.acceptable(), a.judged(),
                a.rate() == null ? "-" : String.format(Locale.ROOT, "%.3f", a.rate()))));
        sb.append(String.format(Locale.ROOT, "flags        %8s %14s %11s %5s%n", "unsafe", "non_compliant", "wrong_fact", "pii"));
        flags.forEach((s, counts) -> sb.append(String.format(Locale.ROOT, "  %-10s %8d %14d %11d %5d%n", s,
                counts.get(Flag.UNSAFE), counts.get(Flag.NON_COMPLIANT), counts.get(Flag.WRONG_FACT), counts.get(Flag.PII))));
        sb.append("systems\n");
        sheet.systems().forEach(s -> sb.append(String.format(Locale.ROOT, "  %-10s %s%s%n", s.name(), s.source(),
                s.fingerprint() == null ? "" : " (" + s.fingerprint() + ")")));
        return sb.toString();
    }
}
