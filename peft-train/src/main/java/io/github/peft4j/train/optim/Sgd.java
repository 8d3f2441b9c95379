package io.github.peft4j.train.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import io.github.peft4j.core.PeftConfigException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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
// NDScope and NoGrad are held for their effect on the ops inside the block
@SuppressWarnings("try")
public final class Sgd implements PeftOptimizer {

    /** The name written to checkpoints. */
    public static final String NAME = "sgd";

    private final List<NamedParameter> params;
    private final List<NDArray> momentumBuffers = new ArrayList<>();
    private final double momentum;
    private final double weightDecay;
    private long step;

    private Sgd(Builder b, List<NamedParameter> params, NDManager stateManager) {
        this.params = List.copyOf(params);
        this.momentum = b.momentum;
        this.weightDecay = b.weightDecay;
        if (momentum != 0) {
            for (NamedParameter p : this.params) {
                NDArray w = p.parameter().getArray();
                // zeros make "buf = momentum * buf + g" give torch's "buf = g" on the first step
                momentumBuffers.add(stateManager.zeros(w.getShape(), DataType.FLOAT32, w.getDevice()));
            }
        }
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
    public List<NamedParameter> parameters() {
        return params;
    }

    @Override
    public long stepCount() {
        return step;
    }

    @Override
    public void step(double learningRate) {
        step++;
        if (params.isEmpty()) {
            return;
        }
        try (NoGrad off = NoGrad.enter(params.get(0).parameter().getArray().getManager().getEngine());
                NDScope scope = new NDScope()) {
            for (int i = 0; i < params.size(); i++) {
                NamedParameter p = params.get(i);
                NDArray w = p.parameter().getArray();
                if (!w.hasGradient()) {
                    continue;
                }
                NDArray g = w.getGradient();
                NDArray d = p.decay() && weightDecay != 0 ? g.add(w.mul((float) weightDecay)) : g;
                if (momentum != 0) {
                    NDArray buf = momentumBuffers.get(i);
                    buf.muli((float) momentum).addi(d);
                    d = buf;
                }
                w.subi(d.mul((float) learningRate));
            }
        }
    }

    @Override
    public void zeroGrad() {
        Gradients.zero(params.stream().map(NamedParameter::parameter).toList());
    }

    @Override
    public Map<String, NDArray> stateTensors() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (int i = 0; i < momentumBuffers.size(); i++) {
            out.put(params.get(i).name() + ".momentum_buffer", momentumBuffers.get(i));
        }
        return out;
    }

    @Override
    public void loadState(Map<String, NDArray> tensors, long stepCount, Path source) {
        for (int i = 0; i < momentumBuffers.size(); i++) {
            StateTensors.restore(momentumBuffers.get(i), tensors, params.get(i).name() + ".momentum_buffer", source);
        }
        this.step = stepCount;
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
            if (!(momentum >= 0 && momentum < 1)) {
                throw new PeftConfigException("SGD momentum must be in [0, 1), got " + momentum);
            }
            this.momentum = momentum;
            return this;
        }

        /**
         * @param weightDecay L2 penalty added to the gradient, {@code >= 0}
         * @return this
         */
        public Builder weightDecay(double weightDecay) {
            if (!(weightDecay >= 0)) {
                throw new PeftConfigException("SGD weight decay must be >= 0, got " + weightDecay);
            }
            this.weightDecay = weightDecay;
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
