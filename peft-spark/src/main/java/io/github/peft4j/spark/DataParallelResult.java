package io.github.peft4j.spark;

import java.nio.file.Path;
import java.util.List;

/**
 * The outcome of data-parallel training.
 *
 * @param globalStep optimizer steps done
 * @param steps every step's metrics (rank 0's view)
 * @param adapter the trained tensors
 * @param outputDir where the adapter (HF PEFT layout), checkpoints and {@code metrics.jsonl} are
 */
public record DataParallelResult(int globalStep, List<StepMetrics> steps, TensorSnapshot adapter, Path outputDir) {

    /** @return the last step's loss, NaN before any step */
    public double finalLoss() {
        return steps.isEmpty() ? Double.NaN : steps.get(steps.size() - 1).loss();
    }

    /** @return the share of step time spent in the all-reduce, over all steps */
    public double exchangeShare() {
        double all = steps.stream().mapToDouble(StepMetrics::seconds).sum();
        return all == 0 ? 0 : steps.stream().mapToDouble(StepMetrics::exchangeSeconds).sum() / all;
    }
}
