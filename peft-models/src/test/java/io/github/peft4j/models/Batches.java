package io.github.peft4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.peft4j.models.reference.RowInput;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Random token batches with padding, as NDArrays and as reference rows. */
public final class Batches {

    public final long[][] ids;
    public final long[][] mask;

    private Batches(long[][] ids, long[][] mask) {
        this.ids = ids;
        this.mask = mask;
    }

    /**
     * @param lengths the real length of each row; shorter rows are padded with id 0
     * @param leftPad pad on the left (generation) or on the right (training, BERT)
     */
    public static Batches random(int vocab, int[] lengths, boolean leftPad, long seed) {
        Random random = new Random(seed);
        int t = 0;
        for (int l : lengths) {
            t = Math.max(t, l);
        }
        long[][] ids = new long[lengths.length][t];
        long[][] mask = new long[lengths.length][t];
        for (int r = 0; r < lengths.length; r++) {
            int start = leftPad ? t - lengths[r] : 0;
            for (int i = 0; i < lengths[r]; i++) {
                ids[r][start + i] = 1 + random.nextInt(vocab - 1);
                mask[r][start + i] = 1;
            }
        }
        return new Batches(ids, mask);
    }

    public int rows() {
        return ids.length;
    }

    public int length() {
        return ids[0].length;
    }

    public NDArray idsArray(NDManager m) {
        return m.create(flat(ids), new Shape(rows(), length()));
    }

    public NDArray maskArray(NDManager m) {
        return m.create(flat(mask), new Shape(rows(), length()));
    }

    public NDList inputs(NDManager m) {
        return new NDList(idsArray(m), maskArray(m));
    }

    public List<RowInput> rowInputs() {
        List<RowInput> out = new ArrayList<>();
        for (int r = 0; r < rows(); r++) {
            out.add(new RowInput(ids[r]).mask(mask[r]));
        }
        return out;
    }

    static long[] flat(long[][] a) {
        long[] out = new long[a.length * a[0].length];
        for (int r = 0; r < a.length; r++) {
            System.arraycopy(a[r], 0, out, r * a[0].length, a[0].length);
        }
        return out;
    }
}
