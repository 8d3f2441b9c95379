package io.github.peft4j.train.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;

/**
 * {@code torch.optim.SGD} without dampening or Nesterov: L2 weight decay added to the gradient
 * ({@code g += weight_decay * p}, only on parameters with decay), then heavy-ball momentum
 * ({@code buf = momentum * buf + g}, the first step taking {@code buf = g}) and
 * {@code p -= lr * buf}.
 *
 * <pre>{@code
 * Sgd sgd = Sgd.builder().momentum(0.9).build(params, stateManager);
 * sgd.step(0.1);
 * }</pre>
 */
public final class Sgd extends StatefulOptimizer {

    /** The name written to checkpoints. */
    public static final String NAME = "sgd";

    private static final int MOMENTUM_BUFFER = 0;

    private final double momentum;
    private final double weightDecay;

    private Sgd(Builder b, List<NamedParameter> params, NDManager stateManager) {
        // zero buffers make "buf = momentum * buf + g" give torch's "buf = g" on the first step
        super(params, stateManager, b.momentum != 0 ? List.of("momentum_buffer") : List.of());
        this.momentum = b.momentum;
        this.weightDecay = b.weightDecay;
    }

    /** @return a builder without momentum or weight decay (torch's defaults) */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    void update(int index, NamedParameter parameter, NDArray w, NDArray g, double learningRate, long stepNumber) {
        NDArray d = parameter.decay() && weightDecay != 0 ? g.add(w.mul((float) weightDecay)) : g;
        if (momentum != 0) {
            NDArray buf = state(MOMENTUM_BUFFER, index);
            buf.muli((float) momentum).addi(d);
            d = buf;
        }
        w.subi(d.mul((float) learningRate));
    }

    /** SGD's hyper-parameters. */
    public static final class Builder {
        private double momentum;
        private double weightDecay;

        private Builder() {}

        /**
         * @param momentum heavy-ball momentum in [0, 1)
         * @return this
         */
        public Builder momentum(double momentum) {
            this.momentum = checked("SGD momentum", momentum, true);
            return this;
        }

        /**
         * @param weightDecay L2 penalty added to the gradient, {@code >= 0}
         * @return this
         */
        public Builder weightDecay(double weightDecay) {
            this.weightDecay = checked("SGD weight decay", weightDecay, false);
            return this;
        }

        /**
         * @param params the parameters to update
         * @param stateManager the manager owning the momentum buffers
         * @return the optimizer
         */
        public Sgd build(List<NamedParameter> params, NDManager stateManager) {
            return new Sgd(this, params, stateManager);
        }
    }
}
