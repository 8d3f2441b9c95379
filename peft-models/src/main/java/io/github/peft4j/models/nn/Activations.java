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
        return of(name, false);
    }

    /**
     * As {@link #of(String)}, in the form a training forward wants: SiLU and tanh-GELU then keep
     * one array of x's size for backward, as PyTorch's fused kernels do, not two or three
     * ({@link #trainingSilu}, {@link #trainingGeluTanh}); values are the same bit for bit.
     *
     * <pre>{@code
     * NDArray h = Activations.of("gelu_new", training).apply(x);
     * }</pre>
     *
     * @param name an {@code ACT2FN} key, as for {@link #of(String)}
     * @param training whether the forward records a graph for backward
     * @return the function
     * @throws PeftConfigException for other names
     */
    public static UnaryOperator<NDArray> of(String name, boolean training) {
        switch (name) {
            case "silu":
            case "swish":
                return training ? Activations::trainingSilu : Activations::silu;
            case "gelu":
                return Activation::gelu;
            case "gelu_new":
            case "gelu_pytorch_tanh":
                return training ? Activations::trainingGeluTanh : Activations::geluTanh;
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

    /**
     * {@link #silu} whose backward keeps only {@code silu'(x)}: autograd on the composed form keeps
     * x and sigmoid(x), two arrays of x's size, until backward (see {@link #withDerivative}).
     *
     * @param x input
     * @return {@code x * sigmoid(x)}, equal to {@link #silu} bit for bit
     */
    public static NDArray trainingSilu(NDArray x) {
        // the scalars are the engine's (Tensors.scalar), not Java buffers that live until a garbage
        // collection: such small blocks, left between large tensors, keep the C heap from reusing the gaps
        return LayerScope.one(() -> {
            NDArray xd = x.stopGradient();
            NDArray s = Activation.sigmoid(xd);
            NDArray value = xd.mul(s);
            // silu'(x) = s (1 + x (1 - s)); in place on fresh arrays only (xd is x's memory)
            NDArray one = Tensors.scalar(xd, 1);
            NDArray derivative = one.sub(s).muli(xd).addi(one).muli(s);
            s.close();
            return withDerivative(x, xd, value, derivative);
        });
    }

    /**
     * {@link #geluTanh} whose backward keeps only {@code gelu'(x)}: autograd on the composed form
     * keeps x, the slope and the sigmoid, three arrays of x's size (GPT-2's widest activation,
     * [tokens, 4 hidden]), until backward (see {@link #withDerivative}).
     *
     * @param x input
     * @return the tanh-GELU of x, equal to {@link #geluTanh} bit for bit
     */
    public static NDArray trainingGeluTanh(NDArray x) {
        return LayerScope.one(() -> {
            // in place where the value allows it, each temporary closed after its last use: a few
            // arrays of x's size at a time, as PyTorch's allocator would reuse them
            NDArray xd = x.stopGradient();
            NDArray linear = Tensors.scalar(xd, GELU_LINEAR);
            NDArray slope = xd.square().muli(Tensors.scalar(xd, GELU_CUBIC)).addi(linear);
            // k(x) = x slope = c1 x + c3 x^3, value = x sigmoid(k): gelu'(x) = s + x s (1 - s) k'(x),
            // k'(x) = c1 + 3 c3 x^2 = 3 slope - 2 c1
            NDArray kPrime = slope.mul(Tensors.scalar(xd, 3)).subi(Tensors.scalar(xd, 2 * GELU_LINEAR));
            NDArray s = Activation.sigmoid(slope.muli(xd));
            slope.close();
            NDArray value = xd.mul(s);
            NDArray derivative = Tensors.scalar(xd, 1).sub(s).muli(s).muli(xd).muli(kPrime).addi(s);
            kPrime.close();
            s.close();
            return withDerivative(x, xd, value, derivative);
        });
    }

    /**
     * {@code f(x)} with a backward that keeps one array, {@code f'(x)}, as PyTorch's fused activations
     * keep one (x). DJL cannot define a backward, so this is {@code value + (x - x̄) f'(x̄)} with
     * x̄ = x detached and {@code value}, {@code f'(x̄)} computed from x̄ without a graph: {@code x - x̄}
     * is exactly 0, so the result is {@code value} bit for bit (but for a zero's sign), and its one
     * gradient path is the product with the constant {@code f'(x̄)}, so d/dx = f'(x). Not for second
     * derivatives, which no training here takes; an infinite x gives NaN (the composed form ±inf or NaN).
     */
    private static NDArray withDerivative(NDArray x, NDArray xd, NDArray value, NDArray derivative) {
        // in place: (x - x̄) is kept by no backward (its product's keeps f'), value by none
        return value.addi(x.sub(xd).muli(derivative));
    }
}
