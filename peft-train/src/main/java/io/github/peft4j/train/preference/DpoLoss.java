package io.github.peft4j.train.preference;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import io.github.peft4j.core.tuner.Tensors;

/**
 * TRL's {@code DPOTrainer.dpo_loss}: from the policy's and the reference's log-probabilities of the
 * chosen and rejected answers, the per-pair loss and the implicit rewards. With
 * {@code h = (log pi(c) - log pi(r)) - (log ref(c) - log ref(r))}:
 * <ul>
 *   <li>{@link Type#SIGMOID} (DPO, with conservative label smoothing {@code e}):
 *       {@code -(1 - e) logsigmoid(beta h) - e logsigmoid(-beta h)}, written with the stable
 *       {@code softplus(x) = -logsigmoid(-x)};</li>
 *   <li>{@link Type#IPO}: {@code (h - 1 / (2 beta))^2}, on log-probabilities averaged per token
 *       (the caller passes means, as TRL does for IPO).</li>
 * </ul>
 * The rewards are {@code beta (log pi - log ref)} of each answer, without gradient.
 *
 * <pre>{@code
 * DpoLoss.Terms t = DpoLoss.compute(DpoLoss.Type.SIGMOID, 0.1, 0.0, piChosen, piRejected, refChosen, refRejected);
 * NDArray loss = t.losses().mean();
 * }</pre>
 */
public final class DpoLoss {

    /** The loss of TRL's {@code loss_type}. */
    public enum Type {
        /** DPO's {@code -logsigmoid(beta h)}, TRL's {@code "sigmoid"} */
        SIGMOID,
        /** IPO's squared distance of {@code h} to {@code 1 / (2 beta)}, TRL's {@code "ipo"} */
        IPO
    }

    private DpoLoss() {}

    /**
     * @param losses [n]: each pair's loss
     * @param chosenRewards [n]: {@code beta (log pi(c) - log ref(c))}, without gradient
     * @param rejectedRewards [n]: {@code beta (log pi(r) - log ref(r))}, without gradient
     */
    public record Terms(NDArray losses, NDArray chosenRewards, NDArray rejectedRewards) {

        /** @return [n] F32: 1 where the chosen answer's reward is the larger, else 0 */
        public NDArray accuracies() {
            return PreferenceRows.accuracies(chosenRewards, rejectedRewards);
        }
    }

    /**
     * @param type the loss
     * @param beta the strength of the tie to the reference, {@code > 0}
     * @param labelSmoothing the assumed share of flipped labels, in [0, 0.5) (sigmoid only)
     * @param policyChosen [n] policy log-probabilities of the chosen answers (on the gradient path)
     * @param policyRejected [n] of the rejected answers
     * @param refChosen [n] reference log-probabilities of the chosen answers
     * @param refRejected [n] of the rejected answers
     * @return the losses and rewards
     */
    public static Terms compute(Type type, double beta, double labelSmoothing, NDArray policyChosen,
            NDArray policyRejected, NDArray refChosen, NDArray refRejected) {
        NDArray h = policyChosen.sub(policyRejected).sub(refChosen.sub(refRejected));
        NDArray losses;
        if (type == Type.IPO) {
            losses = h.sub(Tensors.scalar(h, 1 / (2 * beta))).square();
        } else {
            NDArray scaled = h.mul(Tensors.scalar(h, beta));
            losses = Activation.softPlus(scaled.neg());
            if (labelSmoothing > 0) {
                losses = losses.mul(Tensors.scalar(losses, 1 - labelSmoothing))
                        .add(Activation.softPlus(scaled).mul(Tensors.scalar(losses, labelSmoothing)));
            }
        }
        NDArray chosenRewards = policyChosen.sub(refChosen).stopGradient();
        NDArray rejectedRewards = policyRejected.sub(refRejected).stopGradient();
        return new Terms(losses, chosenRewards.mul(Tensors.scalar(chosenRewards, beta)),
                rejectedRewards.mul(Tensors.scalar(rejectedRewards, beta)));
    }
}
