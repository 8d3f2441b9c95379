package io.github.peft4j.core.testmodels;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;

/**
 * A test module in the style of {@code torch.nn.Module}: parameters and children are created
 * eagerly with a manager, children are added under their Hugging Face names and held in fields
 * typed {@link Block}, so tuner surgery meets the layout real model blocks use.
 */
public abstract class Module extends AbstractBlock {

    /** @return a new module */
    protected Module() {}

    /**
     * @param manager the manager for the weights
     * @param in input size
     * @param out output size
     * @param bias whether the layer has a bias
     * @return an initialised DJL {@link Linear} (weight [out, in], He-normal; bias zero)
     */
    public static Linear linear(NDManager manager, long in, long out, boolean bias) {
        Linear linear = Linear.builder().setUnits(out).optBias(bias).build();
        linear.initialize(manager, DataType.FLOAT32, new Shape(in));
        return linear;
    }

    /**
     * @param name the parameter's name ({@code weight}, {@code bias})
     * @param value its initial value
     * @return the parameter, registered on this module
     */
    protected Parameter parameter(String name, NDArray value) {
        Parameter p = Parameter.builder()
                .setName(name)
                .setType("bias".equals(name) ? Parameter.Type.BIAS : Parameter.Type.WEIGHT)
                .optArray(value)
                .build();
        return addParameter(p);
    }

    // Children are initialised when created; this only records shapes for DJL's bookkeeping.
    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        for (Block child : children.values()) {
            child.initialize(manager, dataType, inputShapes);
        }
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return inputShapes;
    }
}
