package io.github.peft4j.train.data;

import io.github.peft4j.core.Labels;
import io.github.peft4j.core.PeftConfigException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Collates examples into a right-padded {@link Batch}: padding positions get the pad id,
 * attention mask 0 and label -100. The padded length is the longest example, rounded up to a
 * multiple if asked, or a fixed length (for packed data).
 *
 * <pre>{@code
 * Batching batching = Batching.builder(tokenization.padTokenId()).padToMultipleOf(8).build();
 * List<Batch> batches = batching.batches(examples, 4);
 * }</pre>
 */
public final class Batching {

    private final int padTokenId;
    private final int fixedLength;
    private final int padToMultipleOf;

    private Batching(Builder b) {
        this.padTokenId = b.padTokenId;
        this.fixedLength = b.fixedLength;
        this.padToMultipleOf = b.padToMultipleOf;
    }

    /**
     * @param padTokenId the id written at padding positions (masked out, never trained)
     * @return a builder padding to the longest example
     */
    public static Builder builder(int padTokenId) {
        return new Builder(padTokenId);
    }

    /**
     * @param examples one batch worth of examples, all language modelling or all classification
     * @return the batch
     */
    public Batch collate(List<TokenizedExample> examples) {
        if (examples.isEmpty()) {
            throw new IllegalArgumentException("cannot collate an empty batch");
        }
        boolean classification = examples.get(0).isClassification();
        int longest = 0;
        for (TokenizedExample e : examples) {
            if (e.isClassification() != classification) {
                throw new PeftConfigException("a batch cannot mix classification and language-modelling examples");
            }
            longest = Math.max(longest, e.length());
        }
        int t;
        if (fixedLength > 0) {
            if (longest > fixedLength) {
                throw new PeftConfigException("an example of " + longest + " tokens does not fit the fixed length "
                        + fixedLength);
            }
            t = fixedLength;
        } else {
            t = padToMultipleOf > 1 ? (longest + padToMultipleOf - 1) / padToMultipleOf * padToMultipleOf : longest;
        }
        int b = examples.size();
        int[][] ids = new int[b][t];
        int[][] mask = new int[b][t];
        int[][] labels = classification ? null : new int[b][t];
        int[] classes = classification ? new int[b] : null;
        for (int i = 0; i < b; i++) {
            TokenizedExample e = examples.get(i);
            int n = e.length();
            Arrays.fill(ids[i], padTokenId);
            System.arraycopy(e.inputIds(), 0, ids[i], 0, n);
            Arrays.fill(mask[i], 0, n, 1);
            if (classification) {
                classes[i] = e.classLabel();
            } else {
                Arrays.fill(labels[i], Labels.IGNORE_INDEX);
                System.arraycopy(e.labels(), 0, labels[i], 0, n);
            }
        }
        return new Batch(ids, mask, labels, classes);
    }

    /**
     * @param examples examples in the order to batch them
     * @param batchSize rows per batch; the last batch may be smaller
     * @return the batches
     */
    public List<Batch> batches(List<TokenizedExample> examples, int batchSize) {
        if (batchSize < 1) {
            throw new PeftConfigException("batch size must be >= 1, got " + batchSize);
        }
        List<Batch> out = new ArrayList<>();
        for (int i = 0; i < examples.size(); i += batchSize) {
            out.add(collate(examples.subList(i, Math.min(examples.size(), i + batchSize))));
        }
        return out;
    }

    /** Options of a {@link Batching}. */
    public static final class Builder {
        private final int padTokenId;
        private int fixedLength;
        private int padToMultipleOf;

        private Builder(int padTokenId) {
            this.padTokenId = padTokenId;
        }

        /**
         * @param length pad every batch to exactly this length (packed data)
         * @return this
         */
        public Builder fixedLength(int length) {
            this.fixedLength = length;
            return this;
        }

        /**
         * @param multiple round the padded length up to a multiple of this
         * @return this
         */
        public Builder padToMultipleOf(int multiple) {
            this.padToMultipleOf = multiple;
            return this;
        }

        /** @return the batching */
        public Batching build() {
            return new Batching(this);
        }
    }
}
