package io.github.peft4j.train.curation;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What curation did: records in and out, duplicates removed, bad lines skipped, and replacements
 * per personal-data rule.
 *
 * <pre>{@code
 * CurationReport r = curated.report();
 * System.out.println(r.toMarkdown());
 * // | records read | 1000 | ... | EMAIL replaced | 17 | ...
 * }</pre>
 *
 * @param recordsIn records given to curation
 * @param skippedBadLines lines of the input files skipped as malformed
 * @param exactDuplicates records removed as exact duplicates of earlier ones
 * @param nearDuplicates records removed as near-duplicates of earlier ones
 * @param recordsWithPii records in which at least one replacement was made
 * @param piiReplacements replacements per rule type, sorted by type
 * @param recordsOut records after curation
 * @param examples a few redacted examples per kind of change ({@code exact duplicate},
 *     {@code near duplicate}, {@code EMAIL replaced}...), so that a reviewer can audit curation
 */
public record CurationReport(
        int recordsIn,
        int skippedBadLines,
        int exactDuplicates,
        int nearDuplicates,
        int recordsWithPii,
        Map<String, Integer> piiReplacements,
        int recordsOut,
        Map<String, List<String>> examples) {

    /** How many examples of each kind a report keeps. */
    public static final int EXAMPLES_PER_KIND = 3;

    /** Copies the maps. */
    public CurationReport {
        piiReplacements = Collections.unmodifiableMap(new TreeMap<>(piiReplacements));
        Map<String, List<String>> copy = new LinkedHashMap<>();
        examples.forEach((k, v) -> copy.put(k, List.copyOf(v)));
        examples = Collections.unmodifiableMap(copy);
    }

    /**
     * A report without examples.
     *
     * @param recordsIn records given to curation
     * @param skippedBadLines lines of the input files skipped as malformed
     * @param exactDuplicates records removed as exact duplicates of earlier ones
     * @param nearDuplicates records removed as near-duplicates of earlier ones
     * @param recordsWithPii records in which at least one replacement was made
     * @param piiReplacements replacements per rule type
     * @param recordsOut records after curation
     */
    public CurationReport(int recordsIn, int skippedBadLines, int exactDuplicates, int nearDuplicates,
            int recordsWithPii, Map<String, Integer> piiReplacements, int recordsOut) {
        this(recordsIn, skippedBadLines, exactDuplicates, nearDuplicates, recordsWithPii, piiReplacements, recordsOut,
                Map.of());
    }

    /** @return the counts as an ordered map, for JSON */
    public Map<String, Object> toMap() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("records_in", recordsIn);
        out.put("skipped_bad_lines", skippedBadLines);
        out.put("exact_duplicates_removed", exactDuplicates);
        out.put("near_duplicates_removed", nearDuplicates);
        out.put("records_with_pii", recordsWithPii);
        out.put("pii_replacements", piiReplacements);
        out.put("records_out", recordsOut);
        return out;
    }

    /** @return a Markdown table of the counts */
    public String toMarkdown() {
        StringBuilder sb = new StringBuilder("| curation | count |\n|---|---:|\n");
        sb.append("| records read | ").append(recordsIn).append(" |\n");
        sb.append("| bad lines skipped | ").append(skippedBadLines).append(" |\n");
        sb.append("| exact duplicates removed | ").append(exactDuplicates).append(" |\n");
        sb.append("| near-duplicates removed | ").append(nearDuplicates).append(" |\n");
        sb.append("| records with personal data | ").append(recordsWithPii).append(" |\n");
        for (Map.Entry<String, Integer> e : piiReplacements.entrySet()) {
            sb.append("| ").append(e.getKey()).append(" replaced | ").append(e.getValue()).append(" |\n");
        }
        sb.append("| records kept | ").append(recordsOut).append(" |\n");
        if (!examples.isEmpty()) {
            sb.append("\n## Examples (personal data redacted)\n");
            examples.forEach((kind, list) -> {
                sb.append("\n### ").append(kind).append("\n\n");
                list.forEach(e -> sb.append("- ").append(e).append('\n'));
            });
        }
        return sb.toString();
    }

    /** Counts per rule type, filled while anonymising. */
    public static final class Counter {
        private final Map<String, Integer> counts = new TreeMap<>();

        /**
         * @param type a rule type
         * @param n how many to add
         */
        public void add(String type, int n) {
            counts.merge(type, n, Integer::sum);
        }

        /**
         * @param type a rule type
         * @return its count
         */
        public int get(String type) {
            return counts.getOrDefault(type, 0);
        }

        /** @return the sum over all types */
        public int total() {
            return counts.values().stream().mapToInt(Integer::intValue).sum();
        }

        /** @return a copy of the counts */
        public Map<String, Integer> asMap() {
            return new TreeMap<>(counts);
        }
    }
}
