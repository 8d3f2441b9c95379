package io.github.peft4j.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * {@code torch.nn.LayerNorm} over the last axis with parameters named {@code weight} and
 * {@code bias} as in Hugging Face checkpoints (DJL's {@code LayerNorm} names them gamma/beta).
 *
 * <pre>{@code
 * HfLayerNorm ln = new HfLayerNorm(768, 1e-5);
 * }</pre>
 */
public final class HfLayerNorm extends ShapePreservingBlock {

    private final int size;
    private final float eps;
    private final Parameter weight;
    private final Parameter bias;

    /**
     * @param size the normalised (last) dimension
     * @param eps the variance epsilon
     */
    public HfLayerNorm(int size, double eps) {
        this.size = size;
        this.eps = (float) eps;
        this.weight = addParameter(Parameter.builder().setName("weight").setType(Parameter.Type.GAMMA).build());
        this.bias = addParameter(Parameter.builder().setName("bias").setType(Parameter.Type.BETA).build());
    }

    /** @return the scale, [size] */
    public Parameter weight() {
        return weight;
    }

    /** @return the shift, [size] */
    public Parameter bias() {
        return bias;
    }

    @Override
    public void prepare(Shape[] inputShapes) {
        weight.setShape(new Shape(size));
        bias.setShape(new Shape(size));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.head();
        NDArray w = ps.getValue(weight, x.getDevice(), training);
        NDArray b = ps.getValue(bias, x.getDevice(), training);
        return x.getNDArrayInternal().layerNorm(x, new Shape(size), w, b, eps);
    }
}
