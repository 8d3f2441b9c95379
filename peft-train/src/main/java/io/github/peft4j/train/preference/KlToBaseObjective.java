package io.github.peft4j.train.preference;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import io.github.peft4j.core.Labels;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.tuner.Tensors;
import io.github.peft4j.models.CrossEntropy;
import io.github.peft4j.train.data.Batch;
import io.github.peft4j.train.data.TokenizedDataset;
import io.github.peft4j.train.loss.TrainingObjective;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Against forgetting: another objective plus {@code lambda * KL(p_base || p_adapter)} on general
 * text, the mean over its scored positions of the KL divergence from the base model's next-token
 * distribution (the model with adapters disabled, without gradient) to the adapted model's. Each
 * training micro-batch draws {@code rows} general sequences, chosen by a seed and the micro-batch's
 * own token ids, so a resumed run draws the same ones. Evaluation reports the inner objective alone.
 * Logged as {@code kl_to_base}.
 *
 * <pre>{@code
 * TrainingObjective sft = TrainingObjective.of(new CausalLmLoss());
 * TrainingObjective guarded = new KlToBaseObjective(sft, generalText, 1.0, 2, 42);
 * }</pre>
 */
public final class KlToBaseObjective implements TrainingObjective {

    private final TrainingObjective inner;
    private final TokenizedDataset general;
    private final double lambda;
    private final int rows;
    private final long seed;
    private final ReferencePolicy base = ReferencePolicy.base();

    /**
     * @param inner the objective being trained (the domain loss)
     * @param general general text (language modelling), where the KL is measured
     * @param lambda the weight of the KL term, {@code >= 0}
     * @param rows general sequences per micro-batch
     * @param seed the seed of the draw
     */
    public KlToBaseObjective(TrainingObjective inner, TokenizedDataset general, double lambda, int rows, long seed) {
        this.inner = Objects.requireNonNull(inner, "inner");
        this.general = Objects.requireNonNull(general, "general");
        if (general.isEmpty() || rows < 1 || !(lambda >= 0)) {
            throw new PeftConfigException("the KL term needs general text, rows >= 1 and lambda >= 0; got "
                    + general.size() + " sequences, rows " + rows + ", lambda " + lambda);
        }
        this.lambda = lambda;
        this.rows = rows;
        this.seed = seed;
    }

    @Override
    public Output compute(Block model, ParameterStore ps, Batch batch, NDManager manager, boolean training) {
        Output out = inner.compute(model, ps, batch, manager, training);
        if (!training) {
            return out;
        }
        Batch g = general.batch(draw(batch));
        NDList inputs = g.inputs(manager);
        NDArray labels = g.labels(manager);
        NDArray baseLogits = base.logits(model, ps, inputs);
        NDArray logits = model.forward(ps, inputs, true).head();
        NDArray kl = meanKl(baseLogits, logits, labels);
        Map<String, NDArray> metrics = new LinkedHashMap<>(out.metrics());
        metrics.put("kl_to_base", kl.stopGradient());
        NDArray loss = out.loss().add(kl.mul(Tensors.scalar(kl, lambda)));
        return new Output(loss, out.items(), out.correct(), metrics);
    }

    /**
     * @param baseLogits [B, T, V] the base model's logits (no gradient)
     * @param logits [B, T, V] the adapted model's
     * @param labels [B, T]: positions whose next label is {@value Labels#IGNORE_INDEX} are not scored
     * @return the scalar mean over scored positions of {@code sum_v p_base (log p_base - log p)}
     */
    public static NDArray meanKl(NDArray baseLogits, NDArray logits, NDArray labels) {
        NDArray aligned = CrossEntropy.alignLabels(labels, CrossEntropy.prependedPositions(logits.getShape(),
                labels.getShape()));
        NDArray valid = aligned.get(":, 1:").neq(Labels.IGNORE_INDEX).toType(DataType.FLOAT32, false);
        int prepended = CrossEntropy.prependedPositions(logits.getShape(), baseLogits.getShape().slice(0, 2));
        NDArray adapted = logits.get(":, " + prepended + ":-1, :").logSoftmax(-1);
        NDArray reference = baseLogits.get(":, :-1, :").logSoftmax(-1);
        NDArray perPosition = reference.exp().mul(reference.sub(adapted)).sum(new int[] {-1});
        if (prepended > 0) {
            valid = valid.get(":, " + prepended + ":");
        }
        return perPosition.mul(valid).sum().div(valid.sum().maximum(1f));
    }

    /** The general rows of a micro-batch: seeded by the seed and the batch's token ids, so a resume repeats them. */
    private int[] draw(Batch batch) {
        long h = seed;
        for (int[] row : batch.inputIdRows()) {
            h = 31 * h + Arrays.hashCode(row);
        }
        SplittableRandom random = new SplittableRandom(h);
        int[] out = new int[rows];
        for (int i = 0; i < rows; i++) {
            out[i] = random.nextInt(general.size());
        }
        return out;
    }

    @Override
    public boolean tokenLevel() {
        return inner.tokenLevel();
    }
}
