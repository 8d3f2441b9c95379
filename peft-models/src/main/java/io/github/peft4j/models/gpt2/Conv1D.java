package io.github.peft4j.models.gpt2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.peft4j.core.module.LinearLike;
import java.util.Optional;

/**
 * transformers' GPT-2 {@code Conv1D}: a linear layer whose weight is stored [in, out]
 * ({@code y = x W + b}), which PEFT calls {@code fan_in_fan_out}. Parameters {@code weight}
 * [in, out] and {@code bias} [out].
 *
 * <pre>{@code
 * Conv1D cAttn = new Conv1D(3 * 768);   // input size taken from the input at initialisation
 * LinearLike view = cAttn;              // fanInFanOut() == true
 * }</pre>
 */
public final class Conv1D extends AbstractBlock implements LinearLike {

    private final int outFeatures;
    private final Parameter weight;
    private final Parameter bias;

    /** @param outFeatures the output size ({@code nf} in transformers) */
    public Conv1D(int outFeatures) {
        this.outFeatures = outFeatures;
        this.weight = addParameter(Parameter.builder().setName("weight").setType(Parameter.Type.WEIGHT).build());
        this.bias = addParameter(Parameter.builder().setName("bias").setType(Parameter.Type.BIAS).build());
    }

    @Override
    public void prepare(Shape[] inputShapes) {
        Shape in = inputShapes[0];
        weight.setShape(new Shape(in.get(in.dimension() - 1), outFeatures));
        bias.setShape(new Shape(outFeatures));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.head();
        NDArray w = ps.getValue(weight, x.getDevice(), training);
        NDArray b = ps.getValue(bias, x.getDevice(), training);
        // the bias added in place: autograd keeps matMul's inputs, not its output, so the product's
        // memory serves for the sum (one [tokens, out] array, not two)
        return new NDList(x.matMul(w).addi(b));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape in = inputShapes[0];
        return new Shape[] {in.slice(0, in.dimension() - 1).add(outFeatures)};
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
}
