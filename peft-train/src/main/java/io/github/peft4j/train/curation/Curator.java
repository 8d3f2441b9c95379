package io.github.peft4j.train.curation;

import io.github.peft4j.train.data.DataRecord;
import java.util.ArrayList;
import java.util.List;

/**
 * The curation pipeline: exact deduplication, near-duplicate removal, then anonymisation, each
 * optional, with a {@link CurationReport} of what each step did.
 *
 * <pre>{@code
 * Curator curator = Curator.builder()
 *         .exactDedup(true)
 *         .nearDedup(MinHashLsh.builder().threshold(0.85).build())
 *         .anonymizer(PiiAnonymizer.defaults())
 *         .build();
 * Curator.Result r = curator.curate(records);
 * }</pre>
 */
public final class Curator {

    private final boolean exactDedup;
    private final MinHashLsh nearDedup;
    private final PiiAnonymizer anonymizer;

    private Curator(Builder b) {
        this.exactDedup = b.exactDedup;
        this.nearDedup = b.nearDedup;
        this.anonymizer = b.anonymizer;
    }

    /** @return a builder with every step off */
    public static Builder builder() {
        return new Builder();
    }

    /** @return exact dedup, near dedup at 0.8 and all built-in PII rules */
    public static Curator defaults() {
        return builder().exactDedup(true).nearDedup(MinHashLsh.builder().build())
                .anonymizer(PiiAnonymizer.defaults()).build();
    }

    /**
     * @param records the curated records, in input order
     * @param report what was done
     */
    public record Result(List<DataRecord> records, CurationReport report) {}

    /**
     * @param records records in order
     * @return the curated records and the report
     */
    public Result curate(List<DataRecord> records) {
        return curate(records, 0);
    }

    /**
     * @param records records in order
     * @param skippedBadLines bad lines the reader skipped, for the report
     * @return the curated records and the report
     */
    public Result curate(List<DataRecord> records, int skippedBadLines) {
        List<DataRecord> current = records;
        int exact = 0;
        int near = 0;
        CurationExamples examples = new CurationExamples(anonymizer);
        if (exactDedup) {
            ExactDedup.Result r = ExactDedup.apply(current);
            exact = r.removed();
            examples.exactDuplicates(current, r.kept());
            current = r.kept();
        }
        if (nearDedup != null) {
            MinHashLsh.Result r = nearDedup.apply(current);
            near = r.removed();
            examples.nearDuplicates(current, r.duplicates());
            current = r.kept();
        }
        CurationReport.Counter counts = new CurationReport.Counter();
        int withPii = 0;
        if (anonymizer != null) {
            List<DataRecord> out = new ArrayList<>(current.size());
            for (DataRecord r : current) {
                CurationReport.Counter found = new CurationReport.Counter();
                DataRecord a = anonymizer.anonymize(r, found);
                if (a != r) {
                    withPii++;
                    found.asMap().forEach(counts::add);
                    examples.anonymised(a, found.asMap().keySet());
                }
                out.add(a);
            }
            current = out;
        }
        CurationReport report = new CurationReport(records.size(), skippedBadLines, exact, near, withPii,
                counts.asMap(), current.size(), examples.byKind());
        return new Result(List.copyOf(current), report);
    }

    /** Which steps run. */
    public static final class Builder {
        private boolean exactDedup;
        private MinHashLsh nearDedup;
        private PiiAnonymizer anonymizer;

        private Builder() {}

        /**
         * @param on remove exact duplicates of normalised text
         * @return this
         */
        public Builder exactDedup(boolean on) {
            this.exactDedup = on;
            return this;
        }

        /**
         * @param lsh the near-duplicate remover, or {@code null} for none
         * @return this
         */
        public Builder nearDedup(MinHashLsh lsh) {
            this.nearDedup = lsh;
            return this;
        }

        /**
         * @param anonymizer the anonymizer, or {@code null} for none
         * @return this
         */
        public Builder anonymizer(PiiAnonymizer anonymizer) {
            this.anonymizer = anonymizer;
            return this;
        }

        /** @return the curator */
        public Curator build() {
            return new Curator(this);
        }
    }
}
