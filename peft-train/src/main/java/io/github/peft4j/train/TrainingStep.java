package io.github.peft4j.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.github.peft4j.core.tuner.Tensors;
import io.github.peft4j.train.data.Batch;
import io.github.peft4j.train.data.TokenizedDataset;
import io.github.peft4j.train.loss.TrainingLoss;
import io.github.peft4j.train.optim.Gradients;
import java.util.List;

/**
 * The forward and backward passes of one optimizer step: {@code gradient_accumulation_steps}
 * micro-batches, each in its own manager, scope and gradient collector, their gradients summed in
 * the parameters.
 *
 * <p>With {@code average_tokens_across_micro_batches} the step's gradient is that of one big batch:
 * each micro-batch's mean loss is weighted by its item count, and the summed gradient is divided
 * by the step's item count once all micro-batches ran. The counts are taken after each forward
 * ({@link TrainingLoss#itemCount(Batch, NDList)}), because a prompt method's virtual tokens make
 * one more label per row count. Without it each micro-batch weighs {@code 1 / n}.
 */
// NDScope is held for its effect on the ops inside the block
@SuppressWarnings("try")
final class TrainingStep {

    /**
     * @param loss the step's loss: the mean over its items
     * @param tokens the non-padding tokens the step trained on
     */
    record Result(double loss, long tokens) {}

    private final Block block;
    private final TrainingLoss loss;
    private final TokenizedDataset data;
    private final int microBatches;
    private final boolean averageItems;
    private final List<Parameter> params;

    TrainingStep(Block block, TrainingLoss loss, TokenizedDataset data, TrainingArguments args,
            List<Parameter> params) {
        this.block = block;
        this.loss = loss;
        this.data = data;
        this.microBatches = args.gradientAccumulationSteps();
        this.averageItems = args.averageTokensAcrossMicroBatches();
        this.params = params;
    }

    Result run(DataOrder order, ParameterStore ps, Engine engine, NDManager manager) {
        double total = 0;
        long items = 0;
        long tokens = 0;
        for (int i = 0; i < microBatches; i++) {
            Batch b = data.batch(order.next());
            try (NDManager bm = manager.newSubManager();
                    NDScope scope = new NDScope();
                    GradientCollector gc = engine.newGradientCollector()) {
                NDList outputs = block.forward(ps, b.inputs(bm), true);
                NDArray raw = loss.compute(outputs, b.labels(bm));
                double weight;
                if (averageItems) {
                    long n = loss.itemCount(b, outputs);
                    items += n;
                    weight = n;
                } else {
                    weight = 1.0 / microBatches;
                }
                NDArray scaled = raw.mul(Tensors.scalar(raw, weight)); // engine-owned scalar, see Tensors.scalar
                gc.backward(scaled);
                total += scaled.toType(DataType.FLOAT32, false).getFloat();
            }
            tokens += b.tokenCount();
        }
        if (averageItems && items > 0) {
            // summed over items until now: the mean over all of the step's items, as one big batch
            Gradients.scale(params, (float) (1.0 / items));
            total /= items;
        }
        return new Result(total, tokens);
    }
}
