package io.github.peft4j.prefix;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;

/**
 * The tensors of one {@code torch.nn.Linear} inside a prompt encoder, initialised as torch does
 * (weight and bias uniform in ±1/√in_features).
 *
 * <pre>{@code
 * Dense up = Dense.create(encoder, "mlp_head.0", tokenDim, hidden, manager);
 * NDArray y = up.apply(ps, x, training); // x·Wᵀ + b
 * }</pre>
 */
public final class Dense {

    private final Parameter weight;
    private final Parameter bias;

    private Dense(Parameter weight, Parameter bias) {
        this.weight = weight;
        this.bias = bias;
    }

    /**
     * @param encoder the encoder that owns the tensors
     * @param name the module name ({@code transform.0}, {@code mlp_head.2})
     * @param in input features
     * @param out output features
     * @param manager where the tensors live
     * @return the layer, registered as {@code <name>.weight} [out, in] and {@code <name>.bias} [out]
     */
    public static Dense create(BasePromptEncoder encoder, String name, int in, int out, NDManager manager) {
        float bound = (float) (1 / Math.sqrt(in));
        Parameter w = encoder.add(name + ".weight", manager.randomUniform(-bound, bound, new Shape(out, in)));
        Parameter b = encoder.add(name + ".bias", manager.randomUniform(-bound, bound, new Shape(out)));
        return new Dense(w, b);
    }

    /** Sets both tensors to zero (PEFT's {@code init_weights="zero"} on the last layer). */
    public void zero() {
        weight.getArray().muli(0);
        bias.getArray().muli(0);
    }

    /**
     * @param ps the forward call's parameter store
     * @param x [..., in]
     * @param training whether this is a training forward
     * @return x·Wᵀ + b, attached to x's manager
     */
    public NDArray apply(ParameterStore ps, NDArray x, boolean training) {
        NDArray w = ps.getValue(weight, x.getDevice(), training);
        NDArray b = ps.getValue(bias, x.getDevice(), training);
        return x.getNDArrayInternal().linear(x, w, b).singletonOrThrow();
    }
}
