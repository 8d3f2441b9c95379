package io.github.peft4j.train.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.peft4j.core.Labels;

/**
 * A padded batch, kept as Java arrays until a training step turns it into tensors in its own
 * manager: {@code input_ids} [B, T] INT64, {@code attention_mask} [B, T] INT64 (1 for tokens, 0 for
 * padding) and {@code labels}, [B, T] INT64 with -100 on padding and untrained tokens for language
 * modelling, or [B] INT64 class ids for classification.
 *
 * <pre>{@code
 * try (NDManager step = manager.newSubManager()) {
 *     NDList inputs = batch.inputs(step);           // input_ids, attention_mask
 *     NDArray labels = batch.labels(step);
 * }
 * }</pre>
 */
public final class Batch {

    private final int[][] inputIds;
    private final int[][] attentionMask;
    private final int[][] labels;
    private final int[] classLabels;

    Batch(int[][] inputIds, int[][] attentionMask, int[][] labels, int[] classLabels) {
        this.inputIds = inputIds;
        this.attentionMask = attentionMask;
        this.labels = labels;
        this.classLabels = classLabels;
    }

    /** @return the number of rows */
    public int size() {
        return inputIds.length;
    }

    /** @return the padded length */
    public int sequenceLength() {
        return inputIds.length == 0 ? 0 : inputIds[0].length;
    }

    /** @return whether labels are class ids */
    public boolean isClassification() {
        return classLabels != null;
    }

    /** @return the number of real (non-padding) tokens */
    public long tokenCount() {
        long n = 0;
        for (int[] row : attentionMask) {
            for (int m : row) {
                n += m;
            }
        }
        return n;
    }

    /**
     * @param shift 1 to count as a causal LM loss does (the label of position t+1 is scored at t), 0 as is
     * @return how many labels are not -100 (for classification, the number of rows)
     */
    public long labelCount(int shift) {
        if (isClassification()) {
            return classLabels.length;
        }
        long n = 0;
        for (int[] row : labels) {
            for (int t = shift; t < row.length; t++) {
                if (row[t] != Labels.IGNORE_INDEX) {
                    n++;
                }
            }
        }
        return n;
    }

    /** @return a copy of the input ids */
    public int[][] inputIdRows() {
        return copy(inputIds);
    }

    /** @return a copy of the attention mask */
    public int[][] attentionMaskRows() {
        return copy(attentionMask);
    }

    /** @return a copy of the per-token labels (empty rows for classification) */
    public int[][] labelRows() {
        return isClassification() ? new int[size()][0] : copy(labels);
    }

    /** @return a copy of the class labels, or {@code null} for language modelling */
    public int[] classLabels() {
        return classLabels == null ? null : classLabels.clone();
    }

    /**
     * @param manager the manager of the step
     * @return {@code input_ids} and {@code attention_mask}
     */
    public NDList inputs(NDManager manager) {
        NDArray ids = manager.create(flatten(inputIds), new Shape(size(), sequenceLength()));
        ids.setName("input_ids");
        NDArray mask = manager.create(flatten(attentionMask), new Shape(size(), sequenceLength()));
        mask.setName("attention_mask");
        return new NDList(ids, mask);
    }

    /**
     * @param manager the manager of the step
     * @return the labels, [B, T] or [B]
     */
    public NDArray labels(NDManager manager) {
        NDArray out;
        if (isClassification()) {
            long[] l = new long[classLabels.length];
            for (int i = 0; i < l.length; i++) {
                l[i] = classLabels[i];
            }
            out = manager.create(l, new Shape(l.length));
        } else {
            out = manager.create(flatten(labels), new Shape(size(), sequenceLength()));
        }
        out.setName("labels");
        return out;
    }

    private static long[] flatten(int[][] rows) {
        int t = rows.length == 0 ? 0 : rows[0].length;
        long[] out = new long[rows.length * t];
        for (int i = 0; i < rows.length; i++) {
            for (int j = 0; j < t; j++) {
                out[i * t + j] = rows[i][j];
            }
        }
        return out;
    }

    private static int[][] copy(int[][] rows) {
        int[][] out = new int[rows.length][];
        for (int i = 0; i < rows.length; i++) {
            out[i] = rows[i].clone();
        }
        return out;
    }
}
