package io.github.peft4j.train.curation;

import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.train.data.DataRecord;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Near-duplicate removal with MinHash signatures and locality-sensitive hashing, as in
 * {@code datasketch}'s {@code MinHashLSH}. Each record's normalised text is cut into shingles (word
 * n-grams by default, character n-grams if asked); each shingle is hashed (64-bit FNV-1a) and
 * permuted by {@code (a*x + b) mod (2^61 - 1)} with {@code a, b} drawn from the seed, giving
 * {@code bands * rows} minima. Records sharing one band are candidates; a candidate is a duplicate
 * when the Jaccard similarity of the two shingle sets reaches the threshold. Records are processed
 * in order and compared with the records kept so far, so the first of a group survives. Everything
 * is deterministic for a given seed.
 *
 * <pre>{@code
 * MinHashLsh lsh = MinHashLsh.builder().threshold(0.8).build();   // bands and rows chosen for 0.8
 * MinHashLsh.Result r = lsh.apply(records);
 * r.removed();                     // near-duplicates dropped
 * }</pre>
 */
public final class MinHashLsh {

    private static final long MERSENNE_61 = (1L << 61) - 1;
    private static final long FNV_OFFSET = 0xcbf29ce484222325L;
    private static final long FNV_PRIME = 0x100000001b3L;

    /** How a text is cut into shingles. */
    public enum ShingleKind {
        /** Runs of {@code n} words. */
        WORD,
        /** Runs of {@code n} characters. */
        CHAR
    }

    private final double threshold;
    private final int bands;
    private final int rows;
    private final ShingleKind kind;
    private final int shingleSize;
    private final long[] a;
    private final long[] b;

    private MinHashLsh(Builder builder) {
        this.threshold = builder.threshold;
        this.kind = builder.kind;
        this.shingleSize = builder.shingleSize;
        if (builder.bands > 0) {
            this.bands = builder.bands;
            this.rows = builder.rows;
        } else {
            int[] br = optimalBandsAndRows(threshold, builder.numPermutations);
            this.bands = br[0];
            this.rows = br[1];
        }
        int n = bands * rows;
        a = new long[n];
        b = new long[n];
        SplittableRandom random = new SplittableRandom(builder.seed);
        for (int i = 0; i < n; i++) {
            a[i] = 1 + random.nextLong(MERSENNE_61 - 1);
            b[i] = random.nextLong(MERSENNE_61);
        }
    }

    /** @return a builder: threshold 0.8, 128 permutations, word 3-grams, seed 1 */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the number of bands */
    public int bands() {
        return bands;
    }

    /** @return the rows per band */
    public int rows() {
        return rows;
    }

    /** @return the Jaccard similarity at which a candidate counts as a duplicate */
    public double threshold() {
        return threshold;
    }

    /**
     * A dropped record and the kept record it duplicates.
     *
     * @param removedIndex the dropped record's index in the input
     * @param keptIndex the index of the earlier, kept record
     * @param jaccard their shingle-set similarity
     */
    public record Duplicate(int removedIndex, int keptIndex, double jaccard) {}

    /**
     * @param kept the records kept, in order
     * @param duplicates each dropped record with the record it duplicates
     */
    public record Result(List<DataRecord> kept, List<Duplicate> duplicates) {
        /** @return how many records were dropped */
        public int removed() {
            return duplicates.size();
        }
    }

    /**
     * @param records records in order
     * @return the records with near-duplicates of earlier ones removed
     */
    public Result apply(List<DataRecord> records) {
        List<String> texts = new ArrayList<>(records.size());
        for (DataRecord r : records) {
            texts.add(String.join("\n", r.texts()));
        }
        List<Duplicate> duplicates = new ArrayList<>();
        List<DataRecord> kept = new ArrayList<>();
        List<Map<BandKey, List<Integer>>> buckets = new ArrayList<>();
        for (int i = 0; i < bands; i++) {
            buckets.add(new HashMap<>());
        }
        Map<Integer, long[]> shingleSets = new HashMap<>();
        for (int i = 0; i < texts.size(); i++) {
            long[] shingles = shingles(texts.get(i));
            long[] signature = signature(shingles);
            Duplicate dup = null;
            for (int band = 0; band < bands && dup == null; band++) {
                List<Integer> candidates = buckets.get(band).get(new BandKey(signature, band * rows, rows));
                if (candidates == null) {
                    continue;
                }
                for (int c : candidates) {
                    double j = jaccard(shingles, shingleSets.get(c));
                    if (j >= threshold) {
                        dup = new Duplicate(i, c, j);
                        break;
                    }
                }
            }
            if (dup != null) {
                duplicates.add(dup);
                continue;
            }
            kept.add(records.get(i));
            shingleSets.put(i, shingles);
            for (int band = 0; band < bands; band++) {
                buckets.get(band).computeIfAbsent(new BandKey(signature, band * rows, rows), k -> new ArrayList<>()).add(i);
            }
        }
        return new Result(List.copyOf(kept), List.copyOf(duplicates));
    }

    /**
     * @param text a text
     * @return the sorted, distinct hashes of its shingles (of the normalised text)
     */
    public long[] shingles(String text) {
        String norm = Normalizer.normalize(text);
        List<String> units = new ArrayList<>();
        if (kind == ShingleKind.WORD) {
            for (String w : norm.split(" ")) {
                if (!w.isEmpty()) {
                    units.add(w);
                }
            }
        } else {
            norm.codePoints().forEach(cp -> units.add(new String(Character.toChars(cp))));
        }
        String sep = kind == ShingleKind.WORD ? " " : "";
        int n = Math.min(shingleSize, Math.max(1, units.size()));
        long[] out = new long[Math.max(1, units.size() - n + 1)];
        if (units.isEmpty()) {
            out[0] = fnv1a("");
            return out;
        }
        for (int i = 0; i + n <= units.size(); i++) {
            out[i] = fnv1a(String.join(sep, units.subList(i, i + n)));
        }
        return Arrays.stream(out).sorted().distinct().toArray();
    }

    /**
     * @param shingles shingle hashes
     * @return the MinHash signature, {@code bands * rows} values
     */
    public long[] signature(long[] shingles) {
        long[] sig = new long[a.length];
        Arrays.fill(sig, Long.MAX_VALUE);
        for (long s : shingles) {
            long x = Long.remainderUnsigned(s, MERSENNE_61);
            for (int i = 0; i < sig.length; i++) {
                long h = addMod(mulMod(a[i], x), b[i]);
                if (h < sig[i]) {
                    sig[i] = h;
                }
            }
        }
        return sig;
    }

    /**
     * @param x sorted distinct hashes
     * @param y sorted distinct hashes
     * @return |x ∩ y| / |x ∪ y|
     */
    static double jaccard(long[] x, long[] y) {
        int i = 0;
        int j = 0;
        int common = 0;
        while (i < x.length && j < y.length) {
            if (x[i] == y[j]) {
                common++;
                i++;
                j++;
            } else if (x[i] < y[j]) {
                i++;
            } else {
                j++;
            }
        }
        int union = x.length + y.length - common;
        return union == 0 ? 1.0 : (double) common / union;
    }

    static long fnv1a(String s) {
        long h = FNV_OFFSET;
        for (byte c : s.getBytes(StandardCharsets.UTF_8)) {
            h ^= c & 0xff;
            h *= FNV_PRIME;
        }
        return h;
    }

    /** {@code (x * y) mod (2^61 - 1)} for x, y below the modulus. */
    static long mulMod(long x, long y) {
        long lo = x * y;
        long hi = Math.multiplyHigh(x, y);
        // x*y = hi*2^64 + lo = (hi*8 + lo>>>61)*2^61 + (lo & M); and 2^61 = 1 (mod M)
        long r = (lo & MERSENNE_61) + ((lo >>> 61) | (hi << 3));
        return reduce(r);
    }

    static long addMod(long x, long y) {
        return reduce(x + y);
    }

    private static long reduce(long r) {
        r = (r & MERSENNE_61) + (r >>> 61);
        return r >= MERSENNE_61 ? r - MERSENNE_61 : r;
    }

    /**
     * The bands and rows that minimise the equally weighted false-positive and false-negative
     * probability mass around {@code threshold} (datasketch's {@code _optimal_param}).
     *
     * @param threshold the similarity threshold
     * @param numPermutations the signature length available
     * @return {bands, rows}
     */
    static int[] optimalBandsAndRows(double threshold, int numPermutations) {
        double best = Double.MAX_VALUE;
        int[] out = {1, numPermutations};
        for (int bands = 1; bands <= numPermutations; bands++) {
            int maxRows = numPermutations / bands;
            for (int rows = 1; rows <= maxRows; rows++) {
                int b = bands;
                int r = rows;
                double fp = integrate(s -> 1 - Math.pow(1 - Math.pow(s, r), b), 0, threshold);
                double fn = integrate(s -> Math.pow(1 - Math.pow(s, r), b), threshold, 1);
                double error = 0.5 * fp + 0.5 * fn;
                if (error < best) {
                    best = error;
                    out = new int[] {b, r};
                }
            }
        }
        return out;
    }

    private static double integrate(java.util.function.DoubleUnaryOperator f, double from, double to) {
        int n = 200;
        double h = (to - from) / n;
        double sum = 0.5 * (f.applyAsDouble(from) + f.applyAsDouble(to));
        for (int i = 1; i < n; i++) {
            sum += f.applyAsDouble(from + i * h);
        }
        return sum * h;
    }

    /** One band of a signature, compared by value. */
    private static final class BandKey {
        private final long[] values;
        private final int hash;

        BandKey(long[] signature, int from, int length) {
            this.values = Arrays.copyOfRange(signature, from, from + length);
            this.hash = Arrays.hashCode(values);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof BandKey k && Arrays.equals(values, k.values);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }

    /** Options of {@link MinHashLsh}. */
    public static final class Builder {
        private double threshold = 0.8;
        private int numPermutations = 128;
        private int bands;
        private int rows;
        private ShingleKind kind = ShingleKind.WORD;
        private int shingleSize = 3;
        private long seed = 1;

        private Builder() {}

        /**
         * @param threshold the Jaccard similarity in (0, 1] from which two records are duplicates
         * @return this
         */
        public Builder threshold(double threshold) {
            if (!(threshold > 0 && threshold <= 1)) {
                throw new PeftConfigException("near-duplicate threshold must be in (0, 1], got " + threshold);
            }
            this.threshold = threshold;
            return this;
        }

        /**
         * @param n signature length when bands and rows are chosen automatically
         * @return this
         */
        public Builder numPermutations(int n) {
            if (n < 1) {
                throw new PeftConfigException("num_perm must be >= 1, got " + n);
            }
            this.numPermutations = n;
            return this;
        }

        /**
         * @param bands LSH bands
         * @param rows rows per band
         * @return this
         */
        public Builder bandsAndRows(int bands, int rows) {
            if (bands < 1 || rows < 1) {
                throw new PeftConfigException("bands and rows must be >= 1, got " + bands + " and " + rows);
            }
            this.bands = bands;
            this.rows = rows;
            return this;
        }

        /**
         * @param kind word or character shingles
         * @param size the n of the n-grams
         * @return this
         */
        public Builder shingles(ShingleKind kind, int size) {
            if (size < 1) {
                throw new PeftConfigException("shingle size must be >= 1, got " + size);
            }
            this.kind = kind;
            this.shingleSize = size;
            return this;
        }

        /**
         * @param seed seed of the permutations
         * @return this
         */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** @return the deduplicator */
        public MinHashLsh build() {
            return new MinHashLsh(this);
        }
    }
}
