package io.github.peft4j.models.reference;

/**
 * One batch row for a reference forward: token ids, its attention mask (1 = real), optional
 * virtual-token embeddings put in front, optional per-layer past keys/values
 * ({@code pastK[layer][kvHead][position][dim]}), optional token type ids (BERT).
 */
public final class RowInput {
    public final long[] ids;
    public long[] mask;
    public double[][] virtual;
    public double[][][][] pastK;
    public double[][][][] pastV;
    public long[] tokenTypes;

    public RowInput(long[] ids) {
        this.ids = ids;
    }

    public RowInput mask(long[] m) {
        mask = m;
        return this;
    }

    public RowInput virtual(double[][] v) {
        virtual = v;
        return this;
    }

    public RowInput past(double[][][][] k, double[][][][] v) {
        pastK = k;
        pastV = v;
        return this;
    }

    public RowInput tokenTypes(long[] t) {
        tokenTypes = t;
        return this;
    }

    int pastLength() {
        return pastK == null ? 0 : pastK[0][0].length;
    }

    int virtualLength() {
        return virtual == null ? 0 : virtual.length;
    }

    /** Mask over past + virtual + tokens. */
    long[] fullMask() {
        int p = pastLength();
        int v = virtualLength();
        long[] full = new long[p + v + ids.length];
        for (int i = 0; i < p + v; i++) {
            full[i] = 1;
        }
        for (int i = 0; i < ids.length; i++) {
            full[p + v + i] = mask == null ? 1 : mask[i];
        }
        return full;
    }
}
