package io.github.peft4j.core.tuner;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Small tensor operations tuners share, written around two hazards of DJL 0.36's PyTorch engine:
 * <ul>
 *   <li>{@code NDArray.mul(Number)} (and {@code div}, {@code pow}, {@code add}, {@code sub} with a
 *       number, and {@code Activation.swish}, which uses one) wraps the number in a tensor that
 *       points into a Java direct buffer and closes it as soon as the op returns. Autograd keeps that
 *       tensor for the backward pass of {@code mul}/{@code div}/{@code pow}; once the garbage
 *       collector frees the buffer, backward reads freed memory: wrong gradients, NaN, or a crash.
 *       In a forward pass that may be differentiated, multiply by {@link #scalar} instead.
 *   <li>{@code toType(sameType, true)} returns a tensor sharing the source's storage despite
 *       {@code copy=true}; {@link #assign} therefore copies with {@code duplicate()}.
 * </ul>
 *
 * <pre>{@code
 * NDArray y = up.mul(Tensors.scalar(up, scaling));  // not up.mul(scaling) in a training forward
 * Tensors.assign(param.getArray(), loaded);         // same shape; keeps identity, device, dtype, requires-grad
 * }</pre>
 */
public final class Tensors {

    private Tensors() {}

    /**
     * A 0-d tensor holding {@code value}, owned by the engine (not by a Java buffer), with the dtype
     * of {@code like}, attached to {@code like}'s manager.
     *
     * @param like the tensor the scalar will combine with
     * @param value the value
     * @return the scalar
     */
    public static NDArray scalar(NDArray like, double value) {
        return like.getManager().full(new Shape(), (float) value, like.getDataType());
    }

    /**
     * Replaces the values of {@code target} with a copy of those of {@code source}, in place: the
     * target keeps its identity (optimizer state and blocks that hold it stay valid), device, dtype
     * and requires-grad flag, and shares no memory with the source afterwards (which may be a
     * memory-mapped file that is closed later).
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
        // toType(sameType, copy=true) aliases the source in DJL 0.36; duplicate() really copies
        NDArray copy = source.getDataType() == type ? source.duplicate() : source.toType(type, false);
        if (!copy.getDevice().equals(target.getDevice())) {
            NDArray moved = copy.toDevice(target.getDevice(), false);
            copy.close();
            copy = moved;
        }
        target.intern(copy);
        target.setRequiresGradient(grad);
    }

    /**
     * Moves an intermediate computed from parameters (which attaches to their long-lived manager)
     * to the manager of the forward call's input, so it is freed with the call's other temporaries.
     *
     * @param computed the intermediate
     * @param input an array of the forward call
     * @return {@code computed}
     */
    public static NDArray local(NDArray computed, NDArray input) {
        if (computed.getManager() != input.getManager()) {
            computed.attach(input.getManager());
        }
        return computed;
    }
}
