package io.github.peft4j.review;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * One reviewer's judgment of one item, as the page saves it (one JSONL line): which output they
 * preferred, whether each output is acceptable, and what they flagged, all by blinded label.
 *
 * <pre>{@code
 * {"sheet":"3f2a9c1d0b7e6a54","item":"p1","reviewer":"ann","preferred":"B",
 *  "acceptable":{"A":false,"B":true},"flags":{"A":["wrong_fact"],"B":[]},"comment":""}
 * }</pre>
 *
 * @param sheet the sheet's id
 * @param item the item's id
 * @param reviewer who judged ({@code ""} when the page's name field was left empty)
 * @param preferred the preferred label, {@link #TIE}, or {@code null} when no preference was given
 * @param acceptable label → acceptable, for the outputs judged
 * @param flags label → flags raised (labels without flags may be absent)
 * @param comment free text, or {@code null}
 * @param line the line of the verdict file it came from (0 when made in code)
 */
public record Verdict(String sheet, String item, String reviewer, String preferred, Map<String, Boolean> acceptable,
        Map<String, Set<Flag>> flags, String comment, long line) {

    /** The preference meaning "the outputs are equally good (or bad)". */
    public static final String TIE = "tie";

    /** Copies the maps. */
    public Verdict {
        reviewer = reviewer == null ? "" : reviewer;
        acceptable = Collections.unmodifiableMap(new LinkedHashMap<>(acceptable));
        Map<String, Set<Flag>> copy = new LinkedHashMap<>();
        flags.forEach((label, set) -> copy.put(label, set.isEmpty() ? Set.of() : Collections.unmodifiableSet(EnumSet.copyOf(set))));
        flags = Collections.unmodifiableMap(copy);
    }

    /**
     * @param label a label
     * @return the flags raised on that output (empty if none)
     */
    public Set<Flag> flagsOf(String label) {
        return flags.getOrDefault(label, Set.of());
    }

    /** @return the verdict as one JSONL line, in the page's shape */
    public String toJsonLine() {
        ObjectNode o = ReviewJson.MAPPER.createObjectNode();
        o.put("sheet", sheet);
        o.put("item", item);
        o.put("reviewer", reviewer);
        o.put("preferred", preferred);
        ObjectNode ok = o.putObject("acceptable");
        acceptable.forEach(ok::put);
        ObjectNode f = o.putObject("flags");
        flags.forEach((label, set) -> set.forEach(flag -> f.withArray(label).add(flag.key())));
        o.put("comment", comment);
        return ReviewJson.line(o);
    }
}
