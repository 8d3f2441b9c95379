package io.github.peft4j.train.curation;

import io.github.peft4j.train.data.DataRecord;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Collects a few examples of each change curation makes, for {@code curation.md}. Every example is
 * shown anonymised, removed duplicates included (they never went through the anonymiser), and
 * shortened, so that the file can be reviewed and shared without leaking what curation removed.
 */
final class CurationExamples {

    private static final int MAX_CHARS = 160;

    private final PiiAnonymizer redactor;
    private final Map<String, List<String>> byKind = new LinkedHashMap<>();

    /** @param anonymizer the curation's anonymiser; the built-in rules when it has none */
    CurationExamples(PiiAnonymizer anonymizer) {
        this.redactor = anonymizer != null ? anonymizer : PiiAnonymizer.defaults();
    }

    /** Records the first removed exact duplicates: those of {@code before} not in {@code kept}. */
    void exactDuplicates(List<DataRecord> before, List<DataRecord> kept) {
        Set<DataRecord> keptSet = Collections.newSetFromMap(new IdentityHashMap<>());
        keptSet.addAll(kept);
        for (DataRecord r : before) {
            if (!keptSet.contains(r)) {
                add("exact duplicate removed", () -> show(r));
            }
        }
    }

    /** Records the first near-duplicates with the record each one resembled. */
    void nearDuplicates(List<DataRecord> before, List<MinHashLsh.Duplicate> duplicates) {
        for (MinHashLsh.Duplicate d : duplicates) {
            add("near duplicate removed", () -> String.format(java.util.Locale.ROOT, "%s (Jaccard %.2f with %s)",
                    show(before.get(d.removedIndex())), d.jaccard(), show(before.get(d.keptIndex()))));
        }
    }

    /** Records an anonymised record under each rule type that changed it. */
    void anonymised(DataRecord anonymised, Set<String> types) {
        for (String type : types) {
            add(type + " replaced", () -> show(anonymised));
        }
    }

    /** @return the examples, kinds in the order first seen */
    Map<String, List<String>> byKind() {
        return byKind;
    }

    private void add(String kind, Supplier<String> example) {
        List<String> list = byKind.computeIfAbsent(kind, k -> new java.util.ArrayList<>());
        if (list.size() < CurationReport.EXAMPLES_PER_KIND) {
            list.add(example.get());
        }
    }

    private String show(DataRecord r) {
        String text = redactor.anonymize(String.join(" / ", r.texts()), new CurationReport.Counter())
                .replaceAll("\\s+", " ").strip();
        if (text.length() > MAX_CHARS) {
            text = text.substring(0, MAX_CHARS - 1) + "…";
        }
        String origin = r.origin() == null ? "" : " (" + r.origin() + ")";
        return "\"" + text.replace("|", "\\|") + "\"" + origin;
    }
}
