package io.github.peft4j.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.github.peft4j.core.hooks.ForwardContext;
import io.github.peft4j.core.tuner.Tensors;
import io.github.peft4j.models.nn.GradientCheckpointing;
import io.github.peft4j.train.data.Batch;
import io.github.peft4j.train.data.TrainingData;
import io.github.peft4j.train.loss.TrainingLoss;
import io.github.peft4j.train.loss.TrainingObjective;
import io.github.peft4j.train.optim.Gradients;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The forward and backward passes of one optimizer step: {@code gradient_accumulation_steps}
 * micro-batches, each in its own manager, scope and gradient collector, their gradients summed in
 * the parameters. The forwards of a micro-batch are its {@link TrainingObjective}'s.
 *
 * <p>With {@code average_tokens_across_micro_batches} the step's gradient is that of one big batch:
 * each micro-batch's mean loss is weighted by its item count, and the summed gradient is divided
 * by the step's item count once all micro-batches ran. The counts are taken after each forward
 * ({@link TrainingLoss#itemCount(Batch, ai.djl.ndarray.NDList)}), because a prompt method's virtual
 * tokens make one more label per row count. Without it each micro-batch weighs {@code 1 / n}.
 *
 * <p>With {@code gradient_checkpointing} the decoder layers' share of backward runs after the
 * loss's ({@link GradientCheckpointing}), in the same collector.
 */
// NDScope and the checkpointing scope are held for their effect on the ops inside the block
@SuppressWarnings("try")
final class TrainingStep {

    /**
     * @param loss the step's loss: the mean over its items
     * @param tokens the non-padding tokens the step trained on
     * @param metrics the objective's metrics, each the mean over the step's items
     */
    record Result(double loss, long tokens, Map<String, Double> metrics) {}

    private final Block block;
    private final TrainingObjective objective;
    private final TrainingData data;
    private final int microBatches;
    private final boolean averageItems;
    private final boolean checkpointLayers;
    private final List<Parameter> params;

    TrainingStep(Block block, TrainingObjective objective, TrainingData data, TrainingArguments args,
            List<Parameter> params) {
        this.block = block;
        this.objective = objective;
        this.data = data;
        this.microBatches = args.gradientAccumulationSteps();
        this.averageItems = args.averageTokensAcrossMicroBatches();
        this.checkpointLayers = args.gradientCheckpointing();
        this.params = params;
    }

    Result run(DataOrder order, ParameterStore ps, Engine engine, NDManager manager) {
        double total = 0;
        long items = 0;
        long tokens = 0;
        long metricItems = 0;
        Map<String, Double> metricSums = new TreeMap<>();
        for (int i = 0; i < microBatches; i++) {
            Batch b = data.batch(order.next());
            GradientCheckpointing checkpointing = GradientCheckpointing.when(checkpointLayers);
            try (NDManager bm = manager.newSubManager();
                    NDScope scope = new NDScope();
                    ForwardContext.Scope layers = checkpointing.activate();
                    GradientCollector gc = engine.newGradientCollector()) {
                TrainingObjective.Output out = objective.compute(block, ps, b, bm, true);
                NDArray raw = out.loss();
                double weight;
                if (averageItems) {
                    items += out.items();
                    weight = out.items();
                } else {
                    weight = 1.0 / microBatches;
                }
                NDArray scaled = raw.mul(Tensors.scalar(raw, weight)); // engine-owned scalar, see Tensors.scalar
                gc.backward(scaled);
                checkpointing.backward(gc);
                total += scaled.toType(DataType.FLOAT32, false).getFloat();
                for (Map.Entry<String, NDArray> m : out.metrics().entrySet()) {
                    metricSums.merge(m.getKey(), out.items() * (double) m.getValue().toType(DataType.FLOAT32, false)
                            .getFloat(), Double::sum);
                }
                metricItems += out.items();
            }
            tokens += b.tokenCount();
        }
        if (averageItems && items > 0) {
            // summed over items until now: the mean over all of the step's items, as one big batch
            Gradients.scale(params, (float) (1.0 / items));
            total /= items;
        }
        long n = metricItems;
        metricSums.replaceAll((k, v) -> n > 0 ? v / n : Double.NaN);
        return new Result(total, tokens, metricSums);
    }
}
