package io.github.peft4j.prefix.ptuning;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import io.github.peft4j.prefix.BasePromptEncoder;
import io.github.peft4j.prefix.Dense;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PEFT's {@code PromptEncoder} for P-tuning: a table of [total_virtual_tokens, token_dim] and, while
 * training, a head over it — an MLP ({@code mlp_head.0/2/4}: Linear-ReLU-Linear-ReLU-Linear), or a
 * bidirectional LSTM ({@code lstm_head}, torch's parameter names and layout: gates i, f, g, o) whose
 * outputs of both directions feed Linear-ReLU-Linear ({@code mlp_head.0/2}). Adapters in inference
 * mode hold the table alone, which then holds the saved output.
 */
final class PromptEncoder extends BasePromptEncoder {

    private static final Logger LOG = LoggerFactory.getLogger(PromptEncoder.class);
    private static final int GATES = 4;

    private final PromptEncoderReparameterizationType type;
    private final List<Parameter> lstm = new ArrayList<>();
    private final List<Dense> mlp = new ArrayList<>();
    private final int lstmLayers;
    private final int hidden;
    private final double dropout;

    PromptEncoder(PromptEncoderConfig config, NDManager manager) {
        int d = config.tokenDim();
        hidden = config.encoderHiddenSize();
        lstmLayers = config.encoderNumLayers();
        dropout = config.encoderDropout();
        add(EMBEDDING, manager.randomNormal(new Shape(config.totalVirtualTokens(), d)));
        if (config.inferenceMode()) {
            type = null;
            return;
        }
        type = config.encoderReparameterizationType();
        if (type == PromptEncoderReparameterizationType.LSTM) {
            float bound = (float) (1 / Math.sqrt(hidden));
            for (int layer = 0; layer < lstmLayers; layer++) {
                int in = layer == 0 ? d : 2 * hidden;
                for (String direction : new String[] {"", "_reverse"}) {
                    String suffix = "_l" + layer + direction;
                    lstm.add(add("lstm_head.weight_ih" + suffix,
                            manager.randomUniform(-bound, bound, new Shape(GATES * hidden, in))));
                    lstm.add(add("lstm_head.weight_hh" + suffix,
                            manager.randomUniform(-bound, bound, new Shape(GATES * hidden, hidden))));
                    lstm.add(add("lstm_head.bias_ih" + suffix,
                            manager.randomUniform(-bound, bound, new Shape(GATES * hidden))));
                    lstm.add(add("lstm_head.bias_hh" + suffix,
                            manager.randomUniform(-bound, bound, new Shape(GATES * hidden))));
                }
            }
            mlp.add(Dense.create(this, "mlp_head.0", 2 * hidden, 2 * hidden, manager));
            mlp.add(Dense.create(this, "mlp_head.2", 2 * hidden, d, manager));
        } else {
            if (lstmLayers != PromptEncoderConfig.DEFAULT_ENCODER_NUM_LAYERS) {
                LOG.warn("for MLP, the argument encoder_num_layers is ignored. Exactly {} MLP layers are used.",
                        PromptEncoderConfig.DEFAULT_ENCODER_NUM_LAYERS);
            }
            mlp.add(Dense.create(this, "mlp_head.0", d, hidden, manager));
            mlp.add(Dense.create(this, "mlp_head.2", hidden, hidden, manager));
            mlp.add(Dense.create(this, "mlp_head.4", hidden, d, manager));
        }
    }

    @Override
    protected boolean reparameterized() {
        return type != null;
    }

    @Override
    protected NDArray head(ParameterStore ps, NDArray x, boolean training) {
        NDArray h = type == PromptEncoderReparameterizationType.LSTM ? lstm(ps, x, training) : x;
        for (int i = 0; i < mlp.size(); i++) {
            h = mlp.get(i).apply(ps, h, training);
            if (i < mlp.size() - 1) {
                h = Activation.relu(h);
            }
        }
        return h;
    }

    /**
     * The virtual tokens as one sequence through the stacked bidirectional LSTM, composed from
     * tensor ops. (Torch's fused LSTM, reachable through DJL's {@code NDArrayEx.lstm}, returns wrong
     * values in FLOAT32 on the CPU build of libtorch 2.7.1: its input weights are not applied as
     * documented, while FLOAT64 is right. The sequence is a few dozen steps, so the loop costs little.)
     *
     * @return [rows, 2·hidden]: per position, the forward then the backward hidden state of the last layer
     */
    private NDArray lstm(ParameterStore ps, NDArray x, boolean training) {
        NDArray in = x;
        for (int layer = 0; layer < lstmLayers; layer++) {
            if (layer > 0 && training && dropout > 0) {
                in = in.getNDArrayInternal().dropout(in, (float) dropout, true).singletonOrThrow();
            }
            int base = layer * 2 * 4;
            NDArray forward = direction(ps, in, base, false, training);
            NDArray backward = direction(ps, in, base + 4, true, training);
            in = NDArrays.concat(new NDList(forward, backward), 1);
        }
        return in;
    }

    /** One direction of one layer, torch's equations with gates in the order i, f, g, o. */
    private NDArray direction(ParameterStore ps, NDArray x, int first, boolean reverse, boolean training) {
        NDArray wih = ps.getValue(lstm.get(first), x.getDevice(), training);
        NDArray whh = ps.getValue(lstm.get(first + 1), x.getDevice(), training);
        NDArray bih = ps.getValue(lstm.get(first + 2), x.getDevice(), training);
        NDArray bhh = ps.getValue(lstm.get(first + 3), x.getDevice(), training);
        NDArray projected = x.getNDArrayInternal().linear(x, wih, bih).singletonOrThrow().add(bhh);
        int steps = Math.toIntExact(x.getShape().get(0));
        NDArray h = x.getManager().zeros(new Shape(hidden), x.getDataType());
        NDArray c = h;
        NDArray[] out = new NDArray[steps];
        for (int i = 0; i < steps; i++) {
            int t = reverse ? steps - 1 - i : i;
            NDArray gates = projected.get(t).add(h.getNDArrayInternal().linear(h, whh, null).singletonOrThrow());
            NDList split = gates.split(GATES, 0);
            NDArray input = Activation.sigmoid(split.get(0));
            NDArray forget = Activation.sigmoid(split.get(1));
            NDArray cell = split.get(2).tanh();
            NDArray output = Activation.sigmoid(split.get(3));
            c = forget.mul(c).add(input.mul(cell));
            h = output.mul(c.tanh());
            out[t] = h;
        }
        return NDArrays.stack(new NDList(out), 0);
    }
}
