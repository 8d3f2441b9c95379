package io.github.peft4j.train.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.github.peft4j.core.PeftConfigException;
import java.util.List;

/**
 * {@code torch.optim.AdamW}'s update, op for op (the single-tensor path torch uses on CPU):
 * <pre>
 *   p      *= 1 - lr * weight_decay                       (only parameters with decay)
 *   m       = lerp(m, g, 1 - beta1)
 *   v       = beta2 * v + (1 - beta2) * g * g
 *   denom   = sqrt(v) / sqrt(1 - beta2^t) + eps
 *   p      -= lr / (1 - beta1^t) * m / denom
 * </pre>
 * DJL's own AdamW differs (epsilon inside the bias correction, decay of every parameter), hence
 * this class. Both moments are created as zeros up front in the given manager.
 *
 * <pre>{@code
 * try (NDManager state = NDManager.newBaseManager()) {
 *     AdamW adam = AdamW.builder().betas(0.9, 0.999).eps(1e-8).weightDecay(0.01).build(params, state);
 *     adam.step(1e-3);
 * }
 * }</pre>
 */
public final class AdamW extends StatefulOptimizer {

    /** The name written to checkpoints. */
    public static final String NAME = "adamw";

    private static final int EXP_AVG = 0;
    private static final int EXP_AVG_SQ = 1;

    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;

    private AdamW(Builder b, List<NamedParameter> params, NDManager stateManager) {
        super(requireFloat32(params), stateManager, List.of("exp_avg", "exp_avg_sq"));
        this.beta1 = b.beta1;
        this.beta2 = b.beta2;
        this.eps = b.eps;
        this.weightDecay = b.weightDecay;
    }

    private static List<NamedParameter> requireFloat32(List<NamedParameter> params) {
        for (NamedParameter p : params) {
            DataType type = p.parameter().getArray().getDataType();
            if (type != DataType.FLOAT32) {
                throw new PeftConfigException("AdamW needs FLOAT32 parameters; " + p.name() + " is " + type);
            }
        }
        return params;
    }

    /** @return a builder with torch's defaults (betas 0.9/0.999, eps 1e-8, weight decay 0.01) */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    void update(int index, NamedParameter parameter, NDArray w, NDArray g, double learningRate, long stepNumber) {
        NDArray m = state(EXP_AVG, index);
        NDArray v = state(EXP_AVG_SQ, index);
        if (parameter.decay() && weightDecay != 0) {
            w.muli((float) (1 - learningRate * weightDecay));
        }
        // torch's lerp_(end, weight) for weight < 0.5: self + weight * (end - self)
        m.addi(g.sub(m).muli((float) (1 - beta1)));
        v.muli((float) beta2).addi(g.mul(g).muli((float) (1 - beta2)));
        float biasCorrection2Sqrt = (float) Math.sqrt(1 - Math.pow(beta2, stepNumber));
        float stepSize = (float) (learningRate / (1 - Math.pow(beta1, stepNumber)));
        NDArray denom = v.sqrt().divi(biasCorrection2Sqrt).addi((float) eps);
        w.subi(m.div(denom).muli(stepSize));
    }

    /** AdamW's hyper-parameters, with torch's defaults. */
    public static final class Builder {
        private double beta1 = 0.9;
        private double beta2 = 0.999;
        private double eps = 1e-8;
        private double weightDecay = 0.01;

        private Builder() {}

        /**
         * @param beta1 decay of the first moment, in [0, 1)
         * @param beta2 decay of the second moment, in [0, 1)
         * @return this
         */
        public Builder betas(double beta1, double beta2) {
            this.beta1 = checked("AdamW beta1", beta1, true);
            this.beta2 = checked("AdamW beta2", beta2, true);
            return this;
        }

        /**
         * @param eps added to the denominator, {@code >= 0}
         * @return this
         */
        public Builder eps(double eps) {
            this.eps = checked("AdamW eps", eps, false);
            return this;
        }

        /**
         * @param weightDecay decoupled weight decay, {@code >= 0}, applied to parameters whose
         *     {@link NamedParameter#decay()} is set
         * @return this
         */
        public Builder weightDecay(double weightDecay) {
            this.weightDecay = checked("AdamW weight decay", weightDecay, false);
            return this;
        }

        /**
         * @param params the parameters to update
         * @param stateManager the manager owning both moments (the caller closes it)
         * @return the optimizer
         */
        public AdamW build(List<NamedParameter> params, NDManager stateManager) {
            return new AdamW(this, params, stateManager);
        }
    }
}
