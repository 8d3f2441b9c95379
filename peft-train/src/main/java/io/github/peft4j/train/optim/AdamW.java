package io.github.peft4j.train.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
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
        StepScalars c = scalars(w, learningRate, stepNumber);
        NDArray m = state(EXP_AVG, index);
        NDArray v = state(EXP_AVG_SQ, index);
        if (parameter.decay() && weightDecay != 0) {
            w.muli(c.decay);
        }
        // torch's lerp_(end, weight) for weight < 0.5: self + weight * (end - self)
        m.addi(g.sub(m).muli(c.oneMinusBeta1));
        v.muli(c.beta2).addi(g.mul(g).muli(c.oneMinusBeta2));
        NDArray denom = v.sqrt().divi(c.biasCorrection2Sqrt).addi(c.eps);
        w.subi(m.div(denom).muli(c.stepSize));
    }

    /**
     * This step's scalars, created once per step rather than once per parameter: {@code muli(Number)}
     * would wrap each number in a new tensor for every op of every parameter (8 JNI calls per
     * parameter). The same float values as before, so the update is bit for bit unchanged. Created
     * inside the step's {@code NDScope}, they are freed when the step ends.
     */
    private StepScalars scalars(NDArray like, double learningRate, long stepNumber) {
        StepScalars c = stepScalars;
        if (c == null || c.stepNumber != stepNumber || c.learningRate != learningRate || c.decay.isReleased()
                || !c.decay.getDevice().equals(like.getDevice())) {
            c = new StepScalars(like, stepNumber, learningRate,
                    (float) (1 - learningRate * weightDecay),
                    (float) (1 - beta1),
                    (float) beta2,
                    (float) (1 - beta2),
                    (float) Math.sqrt(1 - Math.pow(beta2, stepNumber)),
                    (float) eps,
                    (float) (learningRate / (1 - Math.pow(beta1, stepNumber))));
            stepScalars = c;
        }
        return c;
    }

    private StepScalars stepScalars;

    /** 0-d tensors of one step, keyed by its number and learning rate. */
    private static final class StepScalars {
        final long stepNumber;
        final double learningRate;
        final NDArray decay;
        final NDArray oneMinusBeta1;
        final NDArray beta2;
        final NDArray oneMinusBeta2;
        final NDArray biasCorrection2Sqrt;
        final NDArray eps;
        final NDArray stepSize;

        StepScalars(NDArray like, long stepNumber, double learningRate, float... v) {
            this.stepNumber = stepNumber;
            this.learningRate = learningRate;
            NDManager m = like.getManager();
            this.decay = scalar(m, like, v[0]);
            this.oneMinusBeta1 = scalar(m, like, v[1]);
            this.beta2 = scalar(m, like, v[2]);
            this.oneMinusBeta2 = scalar(m, like, v[3]);
            this.biasCorrection2Sqrt = scalar(m, like, v[4]);
            this.eps = scalar(m, like, v[5]);
            this.stepSize = scalar(m, like, v[6]);
        }

        private static NDArray scalar(NDManager m, NDArray like, float value) {
            return m.full(new Shape(), value, DataType.FLOAT32, like.getDevice());
        }
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
