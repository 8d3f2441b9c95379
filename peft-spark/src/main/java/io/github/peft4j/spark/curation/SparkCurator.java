package io.github.peft4j.spark.curation;

import io.github.peft4j.train.curation.CurationReport;
import io.github.peft4j.train.curation.ExactDedup;
import io.github.peft4j.train.curation.MinHashLsh;
import io.github.peft4j.train.curation.PiiAnonymizer;
import io.github.peft4j.train.data.DataRecord;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.ml.feature.MinHashLSH;
import org.apache.spark.ml.feature.MinHashLSHModel;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import scala.Tuple2;

/**
 * The curation of {@link io.github.peft4j.train.curation.Curator}, distributed over a Dataset of
 * JSONL lines (text, prompt/completion, chat, labelled text): exact dedup by a hash column
 * ({@link ExactDedup#key}, first occurrence kept), near-duplicates found with Spark ML's
 * {@code MinHashLSH} and confirmed by the exact Jaccard of the same shingles as on one machine,
 * then PII replaced per partition with the same rules. The counts of the report are those of one
 * machine's curation on the same lines whenever both LSHs find the same near-duplicate pairs
 * (both are probabilistic; Spark's is tuned for recall with {@code hashTables}). The report's
 * examples are not collected.
 *
 * <pre>{@code
 * SparkCurator.Result r = SparkCurator.builder().build().curate(spark.read().textFile("s3://lake/chats/*.jsonl"));
 * r.records().write().text("s3://lake/curated");
 * System.out.println(r.report().toMarkdown());
 * }</pre>
 */
public final class SparkCurator {

    /** The shingle hash space Spark's MinHashLSH accepts (below its prime 2038074743). */
    private static final int FEATURES = 1 << 30;

    private final double threshold;
    private final int hashTables;
    private final PiiRulesFactory pii;

    private SparkCurator(Builder b) {
        this.threshold = b.threshold;
        this.hashTables = b.hashTables;
        this.pii = b.pii;
    }

    /** @return a builder with {@link io.github.peft4j.train.curation.Curator#defaults()}' settings */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * @param records the curated records as JSONL lines, in input order
     * @param report what was done
     */
    public record Result(Dataset<String> records, CurationReport report) {}

    /** @param lines JSONL lines, in order @return the curated lines and the report */
    public Result curate(Dataset<String> lines) {
        SparkSession spark = lines.sparkSession();
        JavaPairRDD<String, Long> indexed = lines.javaRDD().filter(l -> !l.isBlank()).zipWithIndex();
        // (index, line, exact key); bad lines get a null key
        JavaRDD<Tuple2<Long, Tuple2<String, String>>> keyed = indexed.mapPartitions(it -> {
            List<Tuple2<String, Long>> part = new ArrayList<>();
            it.forEachRemaining(part::add);
            List<DataRecord> records = RecordLines.parse(part.stream().map(Tuple2::_1).toList());
            List<Tuple2<Long, Tuple2<String, String>>> out = new ArrayList<>();
            for (int i = 0; i < part.size(); i++) {
                DataRecord r = records.get(i);
                out.add(new Tuple2<>(part.get(i)._2(), new Tuple2<>(part.get(i)._1(), r == null ? null
                        : ExactDedup.key(r))));
            }
            return out.iterator();
        }).cache();
        long read = keyed.count();
        JavaRDD<Tuple2<Long, Tuple2<String, String>>> good = keyed.filter(t -> t._2()._2() != null);
        long records = good.count();
        Set<Long> firsts = new HashSet<>(good.mapToPair(t -> new Tuple2<>(t._2()._2(), t._1()))
                .reduceByKey(Math::min).values().collect());
        JavaRDD<Tuple2<Long, String>> unique = good.filter(t -> firsts.contains(t._1()))
                .map(t -> new Tuple2<>(t._1(), t._2()._1()));
        Set<Long> near = nearDuplicates(spark, unique);
        JavaRDD<Tuple2<Long, String>> kept = unique.filter(t -> !near.contains(t._1()));
        PiiRulesFactory rules = pii;
        JavaRDD<Tuple2<Long, Anonymised>> anonymised = kept.mapPartitions(it -> {
            PiiAnonymizer anonymizer = rules == null ? null : rules.create();
            List<Tuple2<String, Long>> part = new ArrayList<>();
            it.forEachRemaining(t -> part.add(new Tuple2<>(t._2(), t._1())));
            List<DataRecord> parsed = RecordLines.parse(part.stream().map(Tuple2::_1).toList());
            List<Tuple2<Long, Anonymised>> out = new ArrayList<>();
            for (int i = 0; i < part.size(); i++) {
                CurationReport.Counter found = new CurationReport.Counter();
                DataRecord r = parsed.get(i);
                DataRecord a = anonymizer == null ? r : anonymizer.anonymize(r, found);
                out.add(new Tuple2<>(part.get(i)._2(), new Anonymised(RecordLines.toJson(a), a != r,
                        new HashMap<>(found.asMap()))));
            }
            return out.iterator();
        }).cache();
        List<Anonymised> changed = anonymised.map(Tuple2::_2).filter(Anonymised::changed).collect();
        Map<String, Integer> counts = new TreeMap<>();
        changed.forEach(a -> a.counts().forEach((k, v) -> counts.merge(k, v, Integer::sum)));
        long out = anonymised.count();
        Dataset<String> curated = spark.createDataset(anonymised.sortBy(Tuple2::_1, true, lines.rdd().getNumPartitions())
                .map(t -> t._2().line()).rdd(), Encoders.STRING());
        CurationReport report = new CurationReport((int) records, (int) (read - records), (int) (records - firsts.size()),
                near.size(), changed.size(), counts, (int) out);
        keyed.unpersist();
        return new Result(curated, report);
    }

    /** Spark ML's MinHashLSH proposes pairs; the exact Jaccard and the first-kept-wins rule decide, in order. */
    private Set<Long> nearDuplicates(SparkSession spark, JavaRDD<Tuple2<Long, String>> unique) {
        if (threshold <= 0 || threshold > 1) {
            return Set.of();
        }
        JavaRDD<Row> rows = unique.mapPartitions(it -> {
            MinHashLsh shingler = MinHashLsh.builder().build(); // shingles as one machine's near dedup makes them
            List<Row> out = new ArrayList<>();
            while (it.hasNext()) {
                Tuple2<Long, String> t = it.next();
                DataRecord r = RecordLines.parse(List.of(t._2())).get(0);
                long[] shingles = shingler.shingles(String.join("\n", r.texts()));
                int[] idx = java.util.Arrays.stream(shingles)
                        .mapToInt(h -> (int) Long.remainderUnsigned(h, FEATURES)).distinct().sorted().toArray();
                double[] ones = new double[idx.length];
                java.util.Arrays.fill(ones, 1.0);
                out.add(RowFactory.create(t._1(), Vectors.sparse(FEATURES, idx, ones), shingles));
            }
            return out.iterator();
        });
        StructType schema = new StructType().add("idx", DataTypes.LongType).add("features", new VectorUDT())
                .add("shingles", DataTypes.createArrayType(DataTypes.LongType));
        Dataset<Row> df = spark.createDataFrame(rows, schema).cache();
        MinHashLSHModel model = new MinHashLSH().setNumHashTables(hashTables).setSeed(42).setInputCol("features")
                .setOutputCol("hashes").fit(df);
        List<Row> pairs = model.approxSimilarityJoin(df, df, 1 - threshold + 1e-9, "distance")
                .where("datasetA.idx < datasetB.idx")
                .select("datasetA.idx", "datasetB.idx", "datasetA.shingles", "datasetB.shingles").collectAsList();
        df.unpersist();
        Map<Long, List<Long>> earlier = new TreeMap<>();
        for (Row p : pairs) {
            if (jaccard(p.getList(2), p.getList(3)) >= threshold) {
                earlier.computeIfAbsent(p.getLong(1), k -> new ArrayList<>()).add(p.getLong(0));
            }
        }
        Set<Long> removed = new HashSet<>();
        for (Map.Entry<Long, List<Long>> e : earlier.entrySet()) { // ascending: as the single-machine pass
            if (e.getValue().stream().anyMatch(i -> !removed.contains(i))) {
                removed.add(e.getKey());
            }
        }
        return removed;
    }

    private static double jaccard(List<Long> x, List<Long> y) {
        Set<Long> a = new HashSet<>(x);
        int common = 0;
        for (Long v : new HashSet<>(y)) {
            if (a.contains(v)) {
                common++;
            }
        }
        int union = a.size() + new HashSet<>(y).size() - common;
        return union == 0 ? 1 : (double) common / union;
    }

    /** One kept record after PII replacement. */
    record Anonymised(String line, boolean changed, HashMap<String, Integer> counts) implements java.io.Serializable {}

    /** Builds a {@link SparkCurator}. */
    public static final class Builder {
        private double threshold = 0.8;
        private int hashTables = 20;
        private PiiRulesFactory pii = PiiAnonymizer::defaults;

        private Builder() {}

        /** @param threshold Jaccard at or above which a later record is a near-duplicate; 0 turns near dedup off @return this */
        public Builder nearDuplicateThreshold(double threshold) {
            this.threshold = threshold;
            return this;
        }

        /** @param tables MinHashLSH's hash tables (more: better recall, more work); 20 by default @return this */
        public Builder hashTables(int tables) {
            this.hashTables = tables;
            return this;
        }

        /** @param pii makes the anonymizer in each partition, or null for none @return this */
        public Builder pii(PiiRulesFactory pii) {
            this.pii = pii;
            return this;
        }

        /** @return the curator */
        public SparkCurator build() {
            return new SparkCurator(this);
        }
    }
}
