package io.github.peft4j.core.testmodels;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.peft4j.core.module.LinearLike;
import java.util.Optional;

/** GPT-2's {@code Conv1D}: weight stored [in, out] ({@code fan_in_fan_out}), y = x W + b. */
public final class Conv1D extends Module implements LinearLike {

    private final Parameter weight;
    private final Parameter bias;

    /**
     * @param manager the manager for the weights
     * @param in input size
     * @param out output size
     */
    public Conv1D(NDManager manager, int in, int out) {
        this(manager, in, out, DataType.FLOAT32, 0.3f, 0.1f);
    }

    /**
     * @param manager the manager for the weights
     * @param in input size
     * @param out output size
     * @param type the parameters' data type
     * @param std the standard deviation of weight and bias
     */
    public Conv1D(NDManager manager, int in, int out, DataType type, float std) {
        this(manager, in, out, type, std, std);
    }

    private Conv1D(NDManager manager, int in, int out, DataType type, float weightStd, float biasStd) {
        weight = parameter("weight", manager.randomNormal(0, weightStd, new Shape(in, out), type));
        bias = parameter("bias", manager.randomNormal(0, biasStd, new Shape(out), type));
    }

    @Override
    public Parameter weight() {
        return weight;
    }

    @Override
    public Optional<Parameter> bias() {
        return Optional.of(bias);
    }

    @Override
    public boolean fanInFanOut() {
        return true;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        NDArray w = ps.getValue(weight, x.getDevice(), training);
        NDArray b = ps.getValue(bias, x.getDevice(), training);
        return new NDList(x.matMul(w).add(b));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape x = inputShapes[0];
        return new Shape[] {x.slice(0, x.dimension() - 1).add(weight.getArray().getShape().get(1))};
    }
}
