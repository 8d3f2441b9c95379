package io.github.peft4j.train.preference;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.tuner.Tensors;
import io.github.peft4j.train.data.Batch;
import io.github.peft4j.train.loss.TrainingObjective;
import java.util.Map;

/**
 * Odds-ratio preference optimisation (ORPO, Hong et al. 2024) as TRL's {@code ORPOTrainer} computes
 * it: SFT and preference in one objective, with no reference model. With {@code c} and {@code r} the
 * chosen and rejected answers' log-probabilities averaged per token,
 * {@code log_odds = (c - r) - (log(1 - e^c) - log(1 - e^r))} and the loss is the chosen answers' token
 * NLL minus {@code beta · mean(logsigmoid(log_odds))}. One forward per batch (of {@code n} chosen rows,
 * then {@code n} rejected rows, a {@code PreferenceDataset} batch), half of DPO's work. Logged as TRL
 * logs it: {@code rewards/*} ({@code beta · c}, {@code beta · r}), {@code logps/*} (the averages),
 * {@code nll_loss}, {@code log_odds_ratio}, {@code log_odds_chosen}.
 *
 * <pre>{@code
 * PeftTrainer.builder().model(peft).args(args)
 *         .objective(OrpoObjective.builder().beta(0.1).build())
 *         .trainDataset(prefs.train()).evalDataset(prefs.eval())
 *         .build().train();
 * }</pre>
 */
public final class OrpoObjective implements TrainingObjective {

    private final double beta;

    private OrpoObjective(Builder b) {
        this.beta = b.beta;
    }

    /** @return a builder: beta 0.1, TRL's default */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public Output compute(Block model, ParameterStore ps, Batch batch, NDManager manager, boolean training) {
        int n = PreferenceRows.pairs(batch, "ORPO");
        String chosen = PreferenceRows.chosen(n);
        String rejected = PreferenceRows.rejected(n);
        SequenceLogProbs lp = SequenceLogProbs.of(model.forward(ps, batch.inputs(manager), training).head(),
                batch.labels(manager));
        NDArray means = lp.means();
        NDArray c = means.get(chosen);
        NDArray r = means.get(rejected);
        NDArray logOdds = c.sub(r).sub(logOneMinusExp(c).sub(logOneMinusExp(r)));
        NDArray ratio = Activation.softPlus(logOdds.neg()).neg(); // logsigmoid, stable for either sign
        NDArray nll = lp.tokenNll(chosen);
        NDArray loss = nll.sub(ratio.mean().mul(Tensors.scalar(ratio, beta)));

        // TRL's ORPO rewards: beta times the per-token averaged log-probabilities
        NDArray logps = means.stopGradient();
        NDArray rewards = logps.mul(Tensors.scalar(logps, beta));
        NDArray chosenRewards = rewards.get(chosen);
        NDArray rejectedRewards = rewards.get(rejected);
        NDArray accuracies = PreferenceRows.accuracies(chosenRewards, rejectedRewards);
        Map<String, NDArray> metrics = PreferenceRows.rewardMetrics(chosenRewards, rejectedRewards, logps, n);
        metrics.put("nll_loss", nll.stopGradient());
        metrics.put("log_odds_ratio", ratio.stopGradient().mean());
        metrics.put("log_odds_chosen", logOdds.stopGradient().mean());
        return new Output(loss, n, accuracies.sum().toType(DataType.INT64, false), metrics);
    }

    /** {@code log(1 - e^x)} for a mean log-probability {@code x < 0}; exactly 0 is kept just below 0. */
    private static NDArray logOneMinusExp(NDArray x) {
        // a row whose every token has probability 1 would give log(0): TRL gets -inf there too, we clamp
        return Tensors.scalar(x, 1).sub(x.minimum(Tensors.scalar(x, -1e-7)).exp()).log();
    }

    @Override
    public String toString() {
        return "ORPO (beta " + beta + ")";
    }

    /** Options of {@link OrpoObjective}, named as TRL's {@code ORPOConfig}. */
    public static final class Builder {
        private double beta = 0.1;

        private Builder() {}

        /** @param beta TRL's {@code beta}, the paper's lambda: weight of the odds-ratio term, {@code > 0} @return this */
        public Builder beta(double beta) {
            if (!(beta > 0) || !Double.isFinite(beta)) {
                throw new PeftConfigException("beta must be > 0, got " + beta);
            }
            this.beta = beta;
            return this;
        }

        /** @return the objective */
        public OrpoObjective build() {
            return new OrpoObjective(this);
        }
    }
}
