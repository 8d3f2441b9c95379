package io.github.peft4j.prefix.prefixtuning;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import io.github.peft4j.prefix.BasePromptEncoder;
import io.github.peft4j.prefix.Dense;

/**
 * PEFT's {@code PrefixEncoder}. Without projection (and for every adapter in inference mode) the
 * table itself is the prefix, [num_virtual_tokens, num_layers·2·token_dim]. With
 * {@code prefix_projection} while training, the prefix is
 * {@code transform.2(tanh(transform.0(embedding)))} with a table of [num_virtual_tokens, token_dim];
 * only that output is saved.
 */
final class PrefixEncoder extends BasePromptEncoder {

    private final Dense first;
    private final Dense second;

    PrefixEncoder(PrefixTuningConfig config, NDManager manager) {
        int nvt = config.numVirtualTokens();
        boolean zero = PrefixTuningConfig.INIT_ZERO.equals(config.initWeights());
        if (config.prefixProjection() && !config.inferenceMode()) {
            add(EMBEDDING, manager.randomNormal(new Shape(nvt, config.tokenDim())));
            first = Dense.create(this, "transform.0", config.tokenDim(), config.encoderHiddenSize(), manager);
            second = Dense.create(this, "transform.2", config.encoderHiddenSize(), config.prefixWidth(), manager);
            if (zero) {
                second.zero();
            }
        } else {
            NDArray table = manager.randomNormal(new Shape(nvt, config.prefixWidth()));
            if (zero) {
                table.muli(0);
            }
            add(EMBEDDING, table);
            first = null;
            second = null;
        }
    }

    @Override
    protected boolean reparameterized() {
        return first != null;
    }

    @Override
    protected NDArray head(ParameterStore ps, NDArray x, boolean training) {
        return second.apply(ps, first.apply(ps, x, training).tanh(), training);
    }
}
