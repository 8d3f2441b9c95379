package io.github.peft4j.spark;

import java.io.Serializable;

/**
 * Where data-parallel training stands between two barrier stages: the step, the data position,
 * the adapter and the optimizer state. The driver sends it to start a segment, rank 0 returns it
 * at the end; a checkpoint is one of these on disk.
 *
 * @param step optimizer steps done
 * @param epoch the data position's epoch
 * @param batch the data position's micro-batch within the epoch
 * @param adapter the trained tensors
 * @param optimizer the optimizer state tensors, or null before the first step
 * @param optimizerSteps the optimizer's step count (AdamW's bias correction)
 */
record SegmentState(int step, int epoch, int batch, TensorSnapshot adapter, TensorSnapshot optimizer,
        long optimizerSteps) implements Serializable {}
