package io.github.peft4j.train;

import io.github.peft4j.train.data.DatasetSplit;

/**
 * The order micro-batches are drawn in: epoch after epoch, each a seeded permutation of the
 * examples (or the file order) cut into batches, the last one smaller. The position (epoch, batch)
 * is all a checkpoint needs to continue exactly.
 *
 * <p>Public so that a distributed trainer (peft-spark) draws exactly the global batches
 * {@link PeftTrainer} draws:
 * <pre>{@code
 * DataOrder order = new DataOrder(data.size(), 8, 42, true);
 * int[] firstBatch = order.next();
 * }</pre>
 */
public final class DataOrder {

    private final int size;
    private final int batchSize;
    private final long seed;
    private final boolean shuffle;
    private int epoch;
    private int batch;
    private int permutationEpoch = -1;
    private int[] permutation;

    /**
     * @param size the number of examples
     * @param batchSize the micro-batch size
     * @param seed the run's seed
     * @param shuffle whether each epoch is a seeded permutation (else the file order)
     */
    public DataOrder(int size, int batchSize, long seed, boolean shuffle) {
        this.size = size;
        this.batchSize = batchSize;
        this.seed = seed;
        this.shuffle = shuffle;
    }

    /** @return the micro-batches of one epoch */
    public int batchesPerEpoch() {
        return (size + batchSize - 1) / batchSize;
    }

    /** @return the epoch of the next micro-batch */
    public int epoch() {
        return epoch;
    }

    /** @return the index within its epoch of the next micro-batch */
    public int batch() {
        return batch;
    }

    double epochProgress() {
        return epoch + (double) batch / batchesPerEpoch();
    }

    /**
     * @param epoch the epoch of the next micro-batch
     * @param batch its index within the epoch
     */
    public void seek(int epoch, int batch) {
        if (epoch < 0 || batch < 0 || batch >= batchesPerEpoch()) {
            throw new IllegalArgumentException("no batch " + batch + " in epoch " + epoch + " of "
                    + batchesPerEpoch() + " batches");
        }
        this.epoch = epoch;
        this.batch = batch;
    }

    /** @return the example indices of the next micro-batch */
    public int[] next() {
        if (permutationEpoch != epoch) {
            permutation = shuffle ? DatasetSplit.permutation(size, Seeds.mix(seed, epoch)) : identity(size);
            permutationEpoch = epoch;
        }
        int from = batch * batchSize;
        int to = Math.min(size, from + batchSize);
        int[] out = new int[to - from];
        System.arraycopy(permutation, from, out, 0, out.length);
        batch++;
        if (batch == batchesPerEpoch()) {
            batch = 0;
            epoch++;
        }
        return out;
    }

    private static int[] identity(int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        return p;
    }
}
