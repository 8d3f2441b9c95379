package io.github.peft4j.train.data;

import io.github.peft4j.core.Labels;
import java.util.Arrays;

/**
 * Token ids with their labels: for language modelling one label per token ({@value Labels#IGNORE_INDEX} where
 * no loss is taken, the model shifts them by one itself, as Hugging Face models do); for
 * classification a single class id in {@link #classLabel()}.
 *
 * <pre>{@code
 * TokenizedExample e = TokenizedExample.languageModel(new int[] {5, 6, 7}, new int[] {-100, 6, 7});
 * }</pre>
 *
 * @param inputIds the token ids
 * @param labels one label per token, {@value Labels#IGNORE_INDEX} for no loss (empty for classification)
 * @param classLabel the class id for classification, {@value #NO_CLASS} for language modelling
 */
public record TokenizedExample(int[] inputIds, int[] labels, int classLabel) {

    /** {@link #classLabel()} of a language-modelling example. */
    public static final int NO_CLASS = -1;

    /** Checks the lengths. */
    public TokenizedExample {
        if (classLabel == NO_CLASS && labels.length != inputIds.length) {
            throw new IllegalArgumentException("labels (" + labels.length + ") and input ids (" + inputIds.length
                    + ") differ in length");
        }
    }

    /**
     * @param inputIds the token ids
     * @param labels one label per token
     * @return a language-modelling example
     */
    public static TokenizedExample languageModel(int[] inputIds, int[] labels) {
        return new TokenizedExample(inputIds, labels, NO_CLASS);
    }

    /**
     * @param inputIds the token ids
     * @param classLabel the class id, {@code >= 0}
     * @return a classification example
     */
    public static TokenizedExample classification(int[] inputIds, int classLabel) {
        if (classLabel < 0) {
            throw new IllegalArgumentException("class label must be >= 0, got " + classLabel);
        }
        return new TokenizedExample(inputIds, new int[0], classLabel);
    }

    /** @return whether this is a classification example */
    public boolean isClassification() {
        return classLabel != NO_CLASS;
    }

    /** @return the number of tokens */
    public int length() {
        return inputIds.length;
    }

    /** @return how many tokens carry a label */
    public int trainedTokens() {
        int n = 0;
        for (int l : labels) {
            if (l != Labels.IGNORE_INDEX) {
                n++;
            }
        }
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TokenizedExample t && classLabel == t.classLabel
                && Arrays.equals(inputIds, t.inputIds) && Arrays.equals(labels, t.labels);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * Arrays.hashCode(inputIds) + Arrays.hashCode(labels)) + classLabel;
    }

    @Override
    public String toString() {
        return "TokenizedExample(ids=" + Arrays.toString(inputIds) + ", labels="
                + (isClassification() ? classLabel : Arrays.toString(labels)) + ")";
    }
}
