package io.github.peft4j.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import io.github.peft4j.core.PeftConfigException;
import java.util.function.UnaryOperator;
import io.github.peft4j.core.tuner.Tensors;

/**
 * Hugging Face's {@code ACT2FN} names as NDArray functions. {@code gelu} is the exact (erf) GELU;
 * {@code gelu_new} and {@code gelu_pytorch_tanh} are the tanh approximation GPT-2 uses.
 *
 * <pre>{@code
 * UnaryOperator<NDArray> act = Activations.of("silu");
 * }</pre>
 */
public final class Activations {

    /** 2 sqrt(2/pi) and 2 sqrt(2/pi) 0.044715: tanh-GELU's argument, doubled for the sigmoid form. */
    private static final float GELU_LINEAR = (float) (2 * Math.sqrt(2.0 / Math.PI));
    private static final float GELU_CUBIC = (float) (2 * Math.sqrt(2.0 / Math.PI) * 0.044715);

    private Activations() {}

    /**
     * @param name an {@code ACT2FN} key: {@code silu}/{@code swish}, {@code gelu}, {@code gelu_new},
     *     {@code gelu_pytorch_tanh}, {@code relu}, {@code tanh}
     * @return the function
     * @throws PeftConfigException for other names
     */
    public static UnaryOperator<NDArray> of(String name) {
        switch (name) {
            case "silu":
            case "swish":
                return Activations::silu;
            case "gelu":
                return Activation::gelu;
            case "gelu_new":
            case "gelu_pytorch_tanh":
                return Activations::geluTanh;
            case "relu":
                return Activation::relu;
            case "tanh":
                return NDArray::tanh;
            default:
                throw new PeftConfigException("activation '" + name
                        + "' is not supported; use silu, gelu, gelu_new, gelu_pytorch_tanh, relu or tanh");
        }
    }

    /**
     * @param x input
     * @return {@code x * sigmoid(x)}
     */
    public static NDArray silu(NDArray x) {
        return x.mul(Activation.sigmoid(x));
    }

    /**
     * @param x input
     * @return {@code 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))}, computed as the equal
     *     {@code x sigmoid(2 sqrt(2/pi) (x + 0.044715 x^3))}
     */
    public static NDArray geluTanh(NDArray x) {
        // DJL has no fused tanh-GELU: 0.5 (1 + tanh z) = sigmoid(2z) saves three elementwise ops and
        // their backward (GPT-2's MLP is the widest activation in the model), and it has no
        // cancellation in 1 + tanh z for large negative x.
        // Engine-owned scalars: DJL's mul(Number) frees its scalar before backward reads it.
        NDArray slope = x.square().mul(Tensors.scalar(x, GELU_CUBIC)).add(GELU_LINEAR);
        return x.mul(Activation.sigmoid(x.mul(slope)));
    }
}
