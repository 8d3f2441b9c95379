package io.github.peft4j.core;

/**
 * The label value that a loss skips, as PyTorch's {@code CrossEntropyLoss(ignore_index=-100)} and
 * every Hugging Face model use it: prompt tokens, padding and virtual tokens carry it, so only the
 * positions a model should learn to predict count. One constant for the data pipeline, the losses
 * and the prompt methods, so that they cannot disagree.
 *
 * <pre>{@code
 * int[] labels = {Labels.IGNORE_INDEX, Labels.IGNORE_INDEX, 318, 257}; // loss on the answer only
 * }</pre>
 */
public final class Labels {

    /** PyTorch's default {@code ignore_index}. */
    public static final int IGNORE_INDEX = -100;

    private Labels() {}
}
