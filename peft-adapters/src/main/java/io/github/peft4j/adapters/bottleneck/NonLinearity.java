package io.github.peft4j.adapters.bottleneck;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.tuner.Tensors;
import java.util.Arrays;
import java.util.Locale;

/**
 * The activation between a bottleneck's down- and up-projection, named as in transformers'
 * {@code get_activation} (AdapterHub's {@code non_linearity}).
 *
 * <pre>{@code
 * NDArray y = NonLinearity.of("gelu_new").apply(x);
 * }</pre>
 */
public enum NonLinearity {
    /** max(x, 0). */
    RELU("relu"),
    /** Exact GELU, x·Φ(x). */
    GELU("gelu"),
    /** GPT-2's tanh approximation 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
    GELU_NEW("gelu_new"),
    /** x·sigmoid(x) (transformers' "swish" is SiLU). */
    SWISH("swish"),
    /** Same as {@link #SWISH}. */
    SILU("silu"),
    /** tanh(x). */
    TANH("tanh");

    private static final double SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

    private final String jsonName;

    NonLinearity(String jsonName) {
        this.jsonName = jsonName;
    }

    /** @return the name in {@code adapter_config.json} */
    public String jsonName() {
        return jsonName;
    }

    /**
     * @param name a name such as {@code "relu"} (case-insensitive)
     * @return the activation
     * @throws PeftConfigException naming the supported values
     */
    public static NonLinearity of(String name) {
        for (NonLinearity n : values()) {
            if (n.jsonName.equals(name == null ? null : name.toLowerCase(Locale.ROOT))) {
                return n;
            }
        }
        throw new PeftConfigException("non_linearity '" + name + "' is not supported; use one of "
                + Arrays.stream(values()).map(NonLinearity::jsonName).toList());
    }

    /**
     * @param x the input
     * @return the activation of {@code x}, attached to {@code x}'s manager
     */
    public NDArray apply(NDArray x) {
        // constants are engine-owned tensors: DJL's op(Number) scalars are freed before backward (see Tensors)
        return switch (this) {
            case RELU -> Activation.relu(x);
            case GELU -> Activation.gelu(x);
            case GELU_NEW -> {
                NDArray cubic = x.mul(x).mul(x).mul(Tensors.scalar(x, 0.044715));
                NDArray inner = x.add(cubic).mul(Tensors.scalar(x, SQRT_2_OVER_PI));
                yield x.mul(inner.tanh().add(Tensors.scalar(x, 1))).mul(Tensors.scalar(x, 0.5));
            }
            case SWISH, SILU -> x.mul(Activation.sigmoid(x));
            case TANH -> x.tanh();
        };
    }
}
