package io.github.peft4j.core.module;

import ai.djl.nn.core.Linear;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import java.util.Optional;

/**
 * A linear layer as tuners see it: a weight, an optional bias, and the weight's layout. DJL's
 * {@code Linear} stores the weight [out, in] like {@code torch.nn.Linear}; GPT-2's {@code Conv1D}
 * stores it [in, out], which PEFT calls {@code fan_in_fan_out}. Model blocks of that second kind
 * implement this interface; DJL's {@code Linear} is viewed through {@link #of(Block)}.
 *
 * <pre>{@code
 * LinearLike linear = LinearLike.of(block).orElseThrow();
 * long in = linear.inFeatures();
 * }</pre>
 */
public interface LinearLike {

    /** @return the weight parameter */
    Parameter weight();

    /** @return the bias parameter, if the layer has one */
    Optional<Parameter> bias();

    /** @return whether the weight is stored [in, out] (GPT-2 {@code Conv1D}) */
    boolean fanInFanOut();

    /** @return the input size */
    default long inFeatures() {
        return weight().getArray().getShape().get(fanInFanOut() ? 0 : 1);
    }

    /** @return the output size */
    default long outFeatures() {
        return weight().getArray().getShape().get(fanInFanOut() ? 1 : 0);
    }

    /**
     * @param block any block
     * @return the block as a linear layer, if it is one
     */
    static Optional<LinearLike> of(Block block) {
        if (block instanceof LinearLike linear) {
            return Optional.of(linear);
        }
        if (block instanceof Linear) {
            Parameter weight = block.getDirectParameters().get("weight");
            Parameter bias = block.getDirectParameters().contains("bias")
                    ? block.getDirectParameters().get("bias")
                    : null;
            return Optional.of(new LinearLike() {
                @Override
                public Parameter weight() {
                    return weight;
                }

                @Override
                public Optional<Parameter> bias() {
                    return Optional.ofNullable(bias);
                }

                @Override
                public boolean fanInFanOut() {
                    return false;
                }
            });
        }
        return Optional.empty();
    }
}
