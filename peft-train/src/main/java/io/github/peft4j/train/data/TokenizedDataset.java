package io.github.peft4j.train.data;

import java.util.List;
import java.util.Objects;

/**
 * Examples ready for training or evaluation, with the batching that pads them.
 *
 * <pre>{@code
 * TokenizedDataset train = new TokenizedDataset(examples, Batching.builder(padId).build());
 * List<Batch> batches = train.batches(8);
 * }</pre>
 *
 * @param examples the examples, in order
 * @param batching how a list of them becomes a batch
 */
public record TokenizedDataset(List<TokenizedExample> examples, Batching batching) {

    /** Copies the list. */
    public TokenizedDataset {
        examples = List.copyOf(examples);
        Objects.requireNonNull(batching, "batching");
    }

    /** @return the number of examples */
    public int size() {
        return examples.size();
    }

    /** @return whether there are no examples */
    public boolean isEmpty() {
        return examples.isEmpty();
    }

    /** @return the number of tokens over all examples */
    public long tokenCount() {
        return examples.stream().mapToLong(TokenizedExample::length).sum();
    }

    /**
     * @param indices example indices
     * @return the batch of those examples, in that order
     */
    public Batch batch(int[] indices) {
        TokenizedExample[] rows = new TokenizedExample[indices.length];
        for (int i = 0; i < indices.length; i++) {
            rows[i] = examples.get(indices[i]);
        }
        return batching.collate(List.of(rows));
    }

    /**
     * @param batchSize rows per batch
     * @return the batches in order (the last may be smaller)
     */
    public List<Batch> batches(int batchSize) {
        return batching.batches(examples, batchSize);
    }
}
