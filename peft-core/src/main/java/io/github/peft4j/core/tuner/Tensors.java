package io.github.peft4j.core.tuner;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * Small tensor operations tuners share.
 *
 * <pre>{@code
 * Tensors.assign(param.getArray(), loaded); // same shape; keeps identity, device, dtype, requires-grad
 * }</pre>
 */
public final class Tensors {

    private Tensors() {}

    /**
     * Replaces the values of {@code target} with those of {@code source}, in place: the target
     * keeps its identity (optimizer state and blocks that hold it stay valid), device, dtype and
     * requires-grad flag.
     *
     * @param target the tensor to overwrite
     * @param source the new values, same shape
     * @throws IllegalArgumentException if the shapes differ
     */
    public static void assign(NDArray target, NDArray source) {
        if (!target.getShape().equals(source.getShape())) {
            throw new IllegalArgumentException(
                    "shape " + source.getShape() + " does not fit " + target.getShape());
        }
        boolean grad = target.hasGradient();
        DataType type = target.getDataType();
        NDArray copy = source.toType(type, true);
        if (!copy.getDevice().equals(target.getDevice())) {
            NDArray moved = copy.toDevice(target.getDevice(), false);
            copy.close();
            copy = moved;
        }
        target.intern(copy);
        target.setRequiresGradient(grad);
    }
}
