package io.github.peft4j.spark;

import java.io.Serializable;
import java.util.List;

/**
 * What rank 0 returns from one barrier stage.
 *
 * @param state where training stands after the segment
 * @param steps the segment's steps
 */
record SegmentResult(SegmentState state, List<StepMetrics> steps) implements Serializable {}
