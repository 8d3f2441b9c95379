package io.github.peft4j.train.curation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.peft4j.train.data.DataRecord;
import java.math.BigInteger;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class DedupTest {

    static final String PARAGRAPH = "Our support team answers every ticket within one business day. If your parcel"
            + " has not arrived after ten days, open a ticket with the order number and the shipping address, and we"
            + " will either send a replacement or refund the full amount to the original payment method.";
    static final String NEAR = PARAGRAPH.replace("ten days", "twelve days").replace("full amount", "whole amount");
    static final String OTHER = "Returns are accepted within thirty days of delivery when the item is unused and in"
            + " its original packaging; the customer pays the return shipping unless the item arrived damaged or the"
            + " wrong item was sent by our warehouse team.";

    @Test
    void exactDedupComparesNormalisedText() {
        List<DataRecord> records = List.of(
                new DataRecord.Text("Hello  World"),
                new DataRecord.Text("hello world "),
                new DataRecord.Text("\uFF28ello\u00A0world"), // full-width H and a no-break space fold by NFKC
                new DataRecord.Text("hello, world"),
                new DataRecord.PromptCompletion("ab", "c"),
                new DataRecord.PromptCompletion("a", "bc"),
                new DataRecord.PromptCompletion("AB", "c"));
        ExactDedup.Result r = ExactDedup.apply(records);
        assertEquals(3, r.removed());
        assertEquals(List.of(records.get(0), records.get(3), records.get(4), records.get(5)), r.kept());
        assertEquals("hello world", Normalizer.normalize(" \uFF28ELLO\t\n world "));
    }

    @Test
    void nearDuplicatesAreRemovedAndDistinctTextsKept() {
        // 32 bands of 4 rows: a pair at Jaccard 0.76 becomes a candidate with probability 1 - (1 - 0.76^4)^32 > 0.9999
        MinHashLsh lsh = MinHashLsh.builder().threshold(0.7).bandsAndRows(32, 4).build();
        List<DataRecord> records = List.of(new DataRecord.Text(PARAGRAPH), new DataRecord.Text(OTHER),
                new DataRecord.Text(NEAR));
        double j = MinHashLsh.jaccard(lsh.shingles(PARAGRAPH), lsh.shingles(NEAR));
        assertTrue(j > 0.7 && j < 1.0, "constructed near-duplicate has Jaccard " + j);
        MinHashLsh.Result r = lsh.apply(records);
        assertEquals(List.of(records.get(0), records.get(1)), r.kept());
        assertEquals(1, r.removed());
        assertEquals(2, r.duplicates().get(0).removedIndex());
        assertEquals(0, r.duplicates().get(0).keptIndex());
        assertEquals(j, r.duplicates().get(0).jaccard(), 1e-12);
        // the same pair under a threshold above its similarity is kept
        assertEquals(0, MinHashLsh.builder().threshold(0.95).build().apply(records).removed());
        // character shingles find it too
        assertEquals(1, MinHashLsh.builder().threshold(0.7).bandsAndRows(32, 4)
                .shingles(MinHashLsh.ShingleKind.CHAR, 5).build().apply(records).removed());
    }

    @Test
    void defaultSettingsCatchAnAlmostIdenticalCopy() {
        // one word appended: Jaccard 45/46; with the default 9 bands x 13 rows the miss chance is (1 - 0.978^13)^9 < 1e-5
        String copy = PARAGRAPH + " Thanks";
        List<DataRecord> records = List.of(new DataRecord.Text(PARAGRAPH), new DataRecord.Text(copy),
                new DataRecord.Text(OTHER));
        MinHashLsh lsh = MinHashLsh.builder().build();
        assertEquals(9, lsh.bands());
        assertEquals(13, lsh.rows());
        assertEquals(List.of(records.get(0), records.get(2)), lsh.apply(records).kept());
    }

    @Test
    void signaturesEstimateJaccardAndAreDeterministic() {
        MinHashLsh lsh = MinHashLsh.builder().bandsAndRows(32, 8).seed(3).build();
        long[] a = lsh.shingles(PARAGRAPH);
        long[] b = lsh.shingles(NEAR);
        long[] sa = lsh.signature(a);
        long[] sb = lsh.signature(b);
        int equal = 0;
        for (int i = 0; i < sa.length; i++) {
            equal += sa[i] == sb[i] ? 1 : 0;
        }
        double estimate = equal / 256.0;
        assertEquals(MinHashLsh.jaccard(a, b), estimate, 0.12);
        assertEquals(List.of(sa[0], sa[255]), List.of(MinHashLsh.builder().bandsAndRows(32, 8).seed(3).build()
                .signature(a)[0], MinHashLsh.builder().bandsAndRows(32, 8).seed(3).build().signature(a)[255]));
    }

    @Test
    void modularArithmeticMatchesBigInteger() {
        BigInteger p = BigInteger.ONE.shiftLeft(61).subtract(BigInteger.ONE);
        SplittableRandom r = new SplittableRandom(1);
        for (int i = 0; i < 10_000; i++) {
            long x = r.nextLong(p.longValue());
            long y = r.nextLong(p.longValue());
            assertEquals(BigInteger.valueOf(x).multiply(BigInteger.valueOf(y)).mod(p).longValue(), MinHashLsh.mulMod(x, y));
            assertEquals(BigInteger.valueOf(x).add(BigInteger.valueOf(y)).mod(p).longValue(), MinHashLsh.addMod(x, y));
        }
    }

    @Test
    void automaticBandsAndRowsPutTheSCurveNearTheThreshold() {
        for (double t : new double[] {0.5, 0.7, 0.8, 0.9}) {
            int[] br = MinHashLsh.optimalBandsAndRows(t, 128);
            assertTrue(br[0] * br[1] <= 128);
            double knee = Math.pow(1.0 / br[0], 1.0 / br[1]);
            assertEquals(t, knee, 0.15, "threshold " + t + " bands " + br[0] + " rows " + br[1]);
        }
    }
}
