package io.github.peft4j.train.eval;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.train.data.Batch;
import io.github.peft4j.train.data.TokenizedDataset;
import io.github.peft4j.train.data.TrainingData;
import io.github.peft4j.train.loss.TrainingLoss;
import io.github.peft4j.train.loss.TrainingObjective;
import io.github.peft4j.core.tuner.NoGrad;
import java.util.Map;
import java.util.TreeMap;

/**
 * Runs a model over an evaluation set without gradients and reports loss, perplexity and accuracy.
 * Batch losses are weighted by their item counts, so the result is the mean over all scored items
 * whatever the batch size. Each batch lives in its own manager and scope; nothing is left behind.
 *
 * <pre>{@code
 * EvalResult before;
 * try (PeftModel.DisabledAdapters off = model.disableAdapters()) {
 *     before = Evaluator.evaluate(model, evalData, 8, new CausalLmLoss());
 * }
 * EvalResult after = Evaluator.evaluate(model, evalData, 8, new CausalLmLoss());
 * }</pre>
 */
// NDScope and NoGrad are held for their effect on the ops inside the block
@SuppressWarnings("try")
public final class Evaluator {

    private Evaluator() {}

    /**
     * @param model the model; its forward takes {@code (input_ids, attention_mask)}
     * @param data the evaluation set
     * @param batchSize rows per forward pass
     * @param loss the loss (and accuracy) to measure
     * @return the metrics
     */
    public static EvalResult evaluate(Block model, TokenizedDataset data, int batchSize, TrainingLoss loss) {
        if (data.isEmpty()) {
            throw new PeftConfigException("the evaluation set is empty");
        }
        NDArray anchor = anchorArray(model);
        try (NDManager manager = anchor.getManager().newSubManager(anchor.getDevice())) {
            return evaluate(model, data, batchSize, loss, manager);
        }
    }

    /**
     * @param model the model
     * @param data the evaluation set
     * @param batchSize rows per forward pass
     * @param loss the loss to measure
     * @param manager the parent of each batch's manager (on the model's device)
     * @return the metrics
     */
    public static EvalResult evaluate(Block model, TokenizedDataset data, int batchSize, TrainingLoss loss,
            NDManager manager) {
        return evaluate(model, data, batchSize, TrainingObjective.of(loss), manager).result();
    }

    /**
     * Evaluates a {@link TrainingObjective} (a preference objective on held-out pairs, for
     * instance): its loss averaged over all items, its accuracy when it counts correct items, and
     * its metrics averaged over items.
     *
     * <pre>{@code
     * ObjectiveResult r = Evaluator.evaluate(peft, heldOutPairs, 8, DpoObjective.builder().build(), manager);
     * double accuracy = r.metrics().get("rewards/accuracies");
     * }</pre>
     *
     * @param model the model
     * @param data the evaluation items
     * @param batchSize items per batch
     * @param objective the objective
     * @param manager the parent of each batch's manager (on the model's device)
     * @return the metrics
     */
    public static ObjectiveResult evaluate(Block model, TrainingData data, int batchSize, TrainingObjective objective,
            NDManager manager) {
        ParameterStore ps = new ParameterStore(manager, false);
        double lossSum = 0;
        long correct = 0;
        long items = 0;
        boolean hasAccuracy = true;
        Map<String, Double> metricSums = new TreeMap<>();
        try (NoGrad off = NoGrad.enter(manager.getEngine())) {
            for (Batch batch : data.batches(batchSize)) {
                long n;
                try (NDManager bm = manager.newSubManager(); NDScope scope = new NDScope()) {
                    TrainingObjective.Output out = objective.compute(model, ps, batch, bm, false);
                    n = out.items();
                    lossSum += out.loss().getFloat() * n;
                    if (out.correct() == null) {
                        hasAccuracy = false;
                    } else {
                        correct += out.correct().toType(ai.djl.ndarray.types.DataType.INT64, false).getLong();
                    }
                    for (Map.Entry<String, NDArray> m : out.metrics().entrySet()) {
                        metricSums.merge(m.getKey(), n * (double) m.getValue().getFloat(), Double::sum);
                    }
                }
                items += n;
            }
        }
        double mean = items == 0 ? Double.NaN : lossSum / items;
        long total = items;
        metricSums.replaceAll((k, v) -> total > 0 ? v / total : Double.NaN);
        EvalResult result = new EvalResult(mean, objective.tokenLevel() ? Math.exp(mean) : Double.NaN,
                hasAccuracy && items > 0 ? (double) correct / items : Double.NaN, items, objective.tokenLevel());
        return new ObjectiveResult(result, metricSums);
    }

    /**
     * @param model a model
     * @return an initialised parameter array of it, which gives the model's device and manager
     * @throws PeftConfigException if it has none
     */
    public static NDArray anchorArray(Block model) {
        if (model instanceof io.github.peft4j.core.PeftModel peft) {
            for (Parameter p : peft.trainableParameters()) {
                return p.getArray();
            }
        }
        for (Pair<String, Parameter> p : model.getParameters()) {
            if (p.getValue().isInitialized()) {
                return p.getValue().getArray();
            }
        }
        throw new PeftConfigException(model.getClass().getSimpleName() + " has no initialised parameters");
    }

    /**
     * @param model a model
     * @return the device of its parameters
     */
    public static Device deviceOf(Block model) {
        return anchorArray(model).getDevice();
    }
}
