package io.github.peft4j.train.preference;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.tuner.Tensors;
import io.github.peft4j.train.data.Batch;
import io.github.peft4j.train.loss.TrainingObjective;
import java.util.Map;
import java.util.Objects;

/**
 * Direct preference optimisation as TRL's {@code DPOTrainer} does it on a PEFT model: each batch
 * of {@code n} preference pairs (a {@code PreferenceDataset} batch: {@code n} chosen rows, then
 * {@code n} rejected rows) runs once through the trained model and once, without gradient, through
 * the {@link ReferencePolicy} (by default the same model with its adapters disabled); the loss is
 * {@link DpoLoss}'s, averaged over the pairs. Logged as TRL logs them: {@code rewards/chosen},
 * {@code rewards/rejected}, {@code rewards/accuracies}, {@code rewards/margins},
 * {@code logps/chosen}, {@code logps/rejected}; evaluation's accuracy is the reward accuracy.
 * With TRL's {@code rpo_alpha} (RPO), the chosen answers' mean token negative log-likelihood is added,
 * times alpha, and logged as {@code nll_loss}: DPO alone may lower the chosen answers' likelihood
 * together with the rejected ones', and with it the domain perplexity an SFT adapter had reached.
 *
 * <pre>{@code
 * PeftTrainer.builder().model(peft).args(args)
 *         .objective(DpoObjective.builder().beta(0.1).labelSmoothing(0.0).build())
 *         .trainDataset(prefs.train()).evalDataset(prefs.eval())
 *         .build().train();
 * }</pre>
 */
// NDScope is held for its effect on the ops inside the block
@SuppressWarnings("try")
public final class DpoObjective implements TrainingObjective {

    private final DpoLoss.Type type;
    private final double beta;
    private final double labelSmoothing;
    private final ReferencePolicy reference;
    private final double rpoAlpha;

    private DpoObjective(Builder b) {
        this.type = b.type;
        this.beta = b.beta;
        this.labelSmoothing = b.labelSmoothing;
        this.reference = b.reference;
        this.rpoAlpha = b.rpoAlpha;
    }

    /** @return a builder: sigmoid loss, beta 0.1 (TRL's defaults), no label smoothing, the base as reference */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public Output compute(Block model, ParameterStore ps, Batch batch, NDManager manager, boolean training) {
        int n = PreferenceRows.pairs(batch, "DPO");
        var inputs = batch.inputs(manager);
        NDArray labels = batch.labels(manager);
        NDArray ref;
        try (NDScope scope = new NDScope()) {
            // the reference's logits go as soon as they are reduced: only [2n] values outlive this block
            ref = perSequence(SequenceLogProbs.of(reference.logits(model, ps, inputs), labels));
            NDScope.unregister(ref);
        }
        SequenceLogProbs policyLogProbs = SequenceLogProbs.of(model.forward(ps, inputs, training).head(), labels);
        NDArray policy = perSequence(policyLogProbs);
        String chosen = PreferenceRows.chosen(n);
        String rejected = PreferenceRows.rejected(n);
        DpoLoss.Terms t = DpoLoss.compute(type, beta, labelSmoothing, policy.get(chosen), policy.get(rejected),
                ref.get(chosen), ref.get(rejected));
        NDArray accuracies = t.accuracies();
        Map<String, NDArray> metrics = PreferenceRows.rewardMetrics(t.chosenRewards(), t.rejectedRewards(),
                policy.stopGradient(), n);
        NDArray loss = t.losses().mean();
        if (rpoAlpha > 0) {
            NDArray nll = policyLogProbs.tokenNll(chosen);
            loss = loss.add(nll.mul(Tensors.scalar(nll, rpoAlpha)));
            metrics.put("nll_loss", nll.stopGradient());
        }
        return new Output(loss, n, accuracies.sum().toType(DataType.INT64, false), metrics);
    }

    private NDArray perSequence(SequenceLogProbs lp) {
        return type == DpoLoss.Type.IPO ? lp.means() : lp.sums();
    }

    @Override
    public String toString() {
        return "DPO (" + type.name().toLowerCase(java.util.Locale.ROOT) + ", beta " + beta + ", label smoothing "
                + labelSmoothing + (rpoAlpha > 0 ? ", rpo alpha " + rpoAlpha : "") + ", reference " + reference + ")";
    }

    /** Options of {@link DpoObjective}, named as TRL's {@code DPOConfig}. */
    public static final class Builder {
        private DpoLoss.Type type = DpoLoss.Type.SIGMOID;
        private double beta = 0.1;
        private double labelSmoothing;
        private ReferencePolicy reference = ReferencePolicy.base();
        private double rpoAlpha;

        private Builder() {}

        /** @param type TRL's {@code loss_type}: sigmoid (DPO) or IPO @return this */
        public Builder lossType(DpoLoss.Type type) {
            this.type = Objects.requireNonNull(type, "type");
            return this;
        }

        /** @param beta TRL's {@code beta}: how far the policy may move from the reference, {@code > 0} @return this */
        public Builder beta(double beta) {
            if (!(beta > 0) || !Double.isFinite(beta)) {
                throw new PeftConfigException("beta must be > 0, got " + beta);
            }
            this.beta = beta;
            return this;
        }

        /** @param smoothing TRL's {@code label_smoothing} (cDPO), in [0, 0.5) @return this */
        public Builder labelSmoothing(double smoothing) {
            if (!(smoothing >= 0 && smoothing < 0.5)) {
                throw new PeftConfigException("label_smoothing must be in [0, 0.5), got " + smoothing);
            }
            this.labelSmoothing = smoothing;
            return this;
        }

        /** @param reference where the reference log-probabilities come from @return this */
        public Builder reference(ReferencePolicy reference) {
            this.reference = Objects.requireNonNull(reference, "reference");
            return this;
        }

        /**
         * @param alpha TRL's {@code rpo_alpha}: weight of the chosen answers' token NLL added to the
         *     loss (RPO, Pang et al. 2024, who use 1.0); 0, the default, for plain DPO
         * @return this
         */
        public Builder rpoAlpha(double alpha) {
            if (!(alpha >= 0) || !Double.isFinite(alpha)) {
                throw new PeftConfigException("rpo_alpha must be >= 0, got " + alpha);
            }
            this.rpoAlpha = alpha;
            return this;
        }

        /** @return the objective */
        public DpoObjective build() {
            if (type == DpoLoss.Type.IPO && labelSmoothing > 0) {
                throw new PeftConfigException("label_smoothing applies to the sigmoid loss, not IPO");
            }
            return new DpoObjective(this);
        }
    }
}
