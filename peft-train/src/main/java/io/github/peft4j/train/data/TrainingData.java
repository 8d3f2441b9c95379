package io.github.peft4j.train.data;

/**
 * What the trainer draws micro-batches from: a number of items and the padded batch of any of
 * them. A {@link TokenizedDataset} is one (an item is a sequence); a preference dataset is another
 * (an item is a pair, its batch the chosen rows followed by the rejected rows), read by the
 * objective that trains on it.
 *
 * <pre>{@code
 * TrainingData data = tokenizedDataset;
 * Batch first = data.batch(new int[] {0, 1, 2, 3});
 * }</pre>
 */
public interface TrainingData {

    /** @return the number of items the data order permutes */
    int size();

    /** @return whether there are no items */
    default boolean isEmpty() {
        return size() == 0;
    }

    /**
     * @param indices item indices
     * @return the batch of those items, in that order
     */
    Batch batch(int[] indices);

    /**
     * @param batchSize items per batch
     * @return the batches in order (the last may be smaller), for evaluation
     */
    default java.util.List<Batch> batches(int batchSize) {
        java.util.List<Batch> out = new java.util.ArrayList<>();
        for (int from = 0; from < size(); from += batchSize) {
            int[] indices = new int[Math.min(batchSize, size() - from)];
            for (int i = 0; i < indices.length; i++) {
                indices[i] = from + i;
            }
            out.add(batch(indices));
        }
        return out;
    }

    /** @return {@code sha256:<hex>} over the tokenized items, in order: what was trained on */
    String fingerprint();
}
