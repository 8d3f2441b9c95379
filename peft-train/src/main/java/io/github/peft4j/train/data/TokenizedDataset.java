package io.github.peft4j.train.data;

import io.github.peft4j.core.fingerprint.Sha256;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
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
public record TokenizedDataset(List<TokenizedExample> examples, Batching batching) implements TrainingData {

    /** Copies the list. */
    public TokenizedDataset {
        examples = List.copyOf(examples);
        Objects.requireNonNull(batching, "batching");
    }

    /** @return the number of examples */
    @Override
    public int size() {
        return examples.size();
    }

    /** @return whether there are no examples */
    @Override
    public boolean isEmpty() {
        return examples.isEmpty();
    }

    /** @return the number of tokens over all examples */
    public long tokenCount() {
        return examples.stream().mapToLong(TokenizedExample::length).sum();
    }

    /**
     * What was trained on, as one value: sha256 over every example's token ids, labels and class
     * label, in order. Two runs on the same curated data (same records, tokenizer and cut) agree; a
     * changed, added or reordered example changes it. The registry records it as lineage.
     *
     * <pre>{@code
     * String fp = prepared.train().fingerprint(); // "sha256:3f1c..."
     * }</pre>
     *
     * @return {@code sha256:<hex>}
     */
    @Override
    public String fingerprint() {
        MessageDigest digest = Sha256.newDigest();
        digest(examples, digest);
        return "sha256:" + Sha256.hex(digest.digest());
    }

    /**
     * @param examples examples in order
     * @param digest receives each example's lengths, class label, token ids and labels
     */
    public static void digest(List<TokenizedExample> examples, MessageDigest digest) {
        ByteBuffer row = ByteBuffer.allocate(0);
        for (TokenizedExample e : examples) {
            int ints = 3 + e.inputIds().length + e.labels().length;
            if (row.capacity() < 4 * ints) {
                row = ByteBuffer.allocate(4 * ints).order(ByteOrder.LITTLE_ENDIAN);
            }
            row.clear();
            row.putInt(e.inputIds().length).putInt(e.labels().length).putInt(e.classLabel());
            for (int id : e.inputIds()) {
                row.putInt(id);
            }
            for (int label : e.labels()) {
                row.putInt(label);
            }
            digest.update(row.array(), 0, row.position());
        }
    }

    /**
     * @param indices example indices
     * @return the batch of those examples, in that order
     */
    @Override
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
    @Override
    public List<Batch> batches(int batchSize) {
        return batching.batches(examples, batchSize);
    }
}
