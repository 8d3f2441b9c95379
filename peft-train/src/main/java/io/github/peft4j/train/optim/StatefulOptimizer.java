package io.github.peft4j.train.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.tuner.NoGrad;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What torch-style optimizers share: the parameters, per-parameter state tensors under torch's names
 * (created as zeros up front), the step count, saving and restoring that state, and a step that runs
 * without autograd and releases its temporaries. A subclass names its state and writes the update of
 * one parameter.
 */
// NDScope and NoGrad are held for their effect on the ops inside the block
@SuppressWarnings("try")
abstract class StatefulOptimizer implements PeftOptimizer {

    private final List<NamedParameter> params;
    private final List<String> stateNames;
    /** [state name][parameter] */
    private final List<List<NDArray>> state = new ArrayList<>();
    private long step;

    /**
     * A builder's check of a hyper-parameter.
     *
     * @param what the optimizer and the name, for the message ({@code "AdamW eps"})
     * @param v the value
     * @param unitInterval whether it must be in [0, 1) (a momentum or beta), else {@code >= 0}
     * @return {@code v}
     * @throws PeftConfigException if it is out of range (NaN included)
     */
    static double checked(String what, double v, boolean unitInterval) {
        if (!(v >= 0) || (unitInterval && !(v < 1))) {
            throw new PeftConfigException(what + (unitInterval ? " must be in [0, 1), got " : " must be >= 0, got ") + v);
        }
        return v;
    }

    /**
     * @param params the parameters to update
     * @param stateManager the manager owning the state tensors
     * @param stateNames torch's names of the per-parameter state ({@code exp_avg}, ...), possibly none
     */
    StatefulOptimizer(List<NamedParameter> params, NDManager stateManager, List<String> stateNames) {
        this.params = List.copyOf(params);
        this.stateNames = List.copyOf(stateNames);
        for (int s = 0; s < this.stateNames.size(); s++) {
            List<NDArray> perParameter = new ArrayList<>();
            for (NamedParameter p : this.params) {
                NDArray w = p.parameter().getArray();
                perParameter.add(stateManager.zeros(w.getShape(), DataType.FLOAT32, w.getDevice()));
            }
            state.add(perParameter);
        }
    }

    /**
     * Updates one parameter that has a gradient, in place. Called inside the step's no-grad scope.
     *
     * @param index the parameter's index, for {@link #state(int, int)}
     * @param parameter the parameter
     * @param weight its array
     * @param gradient its gradient
     * @param learningRate this step's learning rate
     * @param stepNumber this step's number, from 1
     */
    abstract void update(int index, NamedParameter parameter, NDArray weight, NDArray gradient, double learningRate,
            long stepNumber);

    /**
     * @param stateIndex the position of the state's name in the names given to the constructor
     * @param index the parameter's index
     * @return the live state tensor
     */
    final NDArray state(int stateIndex, int index) {
        return state.get(stateIndex).get(index);
    }

    @Override
    public final void step(double learningRate) {
        step++;
        if (params.isEmpty()) {
            return;
        }
        try (NoGrad off = NoGrad.enter(params.get(0).parameter().getArray().getManager().getEngine());
                NDScope scope = new NDScope()) {
            for (int i = 0; i < params.size(); i++) {
                NDArray w = params.get(i).parameter().getArray();
                if (w.hasGradient()) {
                    update(i, params.get(i), w, w.getGradient(), learningRate, step);
                }
            }
        }
    }

    @Override
    public final List<NamedParameter> parameters() {
        return params;
    }

    @Override
    public final long stepCount() {
        return step;
    }

    @Override
    public final void zeroGrad() {
        Gradients.zero(params.stream().map(NamedParameter::parameter).toList());
    }

    @Override
    public final Map<String, NDArray> stateTensors() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (int i = 0; i < params.size(); i++) {
            for (int s = 0; s < stateNames.size(); s++) {
                out.put(params.get(i).name() + "." + stateNames.get(s), state(s, i));
            }
        }
        return out;
    }

    @Override
    public final void loadState(Map<String, NDArray> tensors, long stepCount, Path source) {
        for (int i = 0; i < params.size(); i++) {
            for (int s = 0; s < stateNames.size(); s++) {
                StateTensors.restore(state(s, i), tensors, params.get(i).name() + "." + stateNames.get(s), source);
            }
        }
        this.step = stepCount;
    }
}
