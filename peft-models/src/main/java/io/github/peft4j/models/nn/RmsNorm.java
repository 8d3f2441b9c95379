package io.github.peft4j.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * Llama's RMSNorm: {@code weight * x / sqrt(mean(x^2) + eps)} over the last axis, parameter
 * {@code weight}; Gemma's variant scales by {@code 1 + weight} (its weights start at 0).
 *
 * <pre>{@code
 * RmsNorm norm = new RmsNorm(4096, 1e-6);
 * RmsNorm gemma = new RmsNorm(2304, 1e-6, true);
 * }</pre>
 */
public final class RmsNorm extends ShapePreservingBlock {

    private final int size;
    private final float eps;
    private final boolean unitOffset;
    private final Parameter weight;

    /**
     * @param size the normalised (last) dimension
     * @param eps added to the mean square
     */
    public RmsNorm(int size, double eps) {
        this(size, eps, false);
    }

    /**
     * @param size the normalised (last) dimension
     * @param eps added to the mean square
     * @param unitOffset whether the scale is {@code 1 + weight} (Gemma) rather than {@code weight}
     */
    public RmsNorm(int size, double eps, boolean unitOffset) {
        this.size = size;
        this.eps = (float) eps;
        this.unitOffset = unitOffset;
        this.weight = addParameter(Parameter.builder().setName("weight").setType(Parameter.Type.GAMMA).build());
    }

    /** @return whether the scale is {@code 1 + weight} (Gemma), so that a fresh weight is 0 */
    public boolean unitOffset() {
        return unitOffset;
    }

    /** @return the scale, [size] */
    public Parameter weight() {
        return weight;
    }

    @Override
    public void prepare(Shape[] inputShapes) {
        weight.setShape(new Shape(size));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.head();
        NDArray w = ps.getValue(weight, x.getDevice(), training);
        // sqrt + div rather than pow(-0.5f): DJL's pow(Number) frees its exponent before backward.
        NDArray rms = x.square().mean(new int[] {-1}, true).add(eps).sqrt();
        return new NDList(x.div(rms).mul(unitOffset ? w.add(1f) : w));
    }
}
