package io.github.peft4j.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.util.PairList;
import io.github.peft4j.models.HiddenStates;
import java.util.ArrayList;
import java.util.List;

/**
 * Collects a model body's hidden states when the forward asks for them
 * ({@link HiddenStates#requested}), as transformers' decoders and encoders do: the input of each
 * layer, then the final output. It does nothing when they are not asked for.
 *
 * <pre>{@code
 * HiddenStateRecorder states = HiddenStateRecorder.of(params);
 * for (Block layer : layers) {
 *     states.record(hidden);
 *     hidden = layer.forward(ps, new NDList(hidden, bias), training, params).head();
 * }
 * hidden = norm.forward(ps, new NDList(hidden), training, params).head();
 * states.record(hidden);
 * return states.appendTo(new NDList(hidden));
 * }</pre>
 */
public final class HiddenStateRecorder {

    private static final HiddenStateRecorder OFF = new HiddenStateRecorder(null);

    private final List<NDArray> states;

    private HiddenStateRecorder(List<NDArray> states) {
        this.states = states;
    }

    /**
     * @param params the forward's params
     * @return a recorder, inert unless the forward asks for hidden states
     */
    public static HiddenStateRecorder of(PairList<String, Object> params) {
        return HiddenStates.requested(params) ? new HiddenStateRecorder(new ArrayList<>()) : OFF;
    }

    /** @param hidden the next hidden state, [B, T, H] */
    public void record(NDArray hidden) {
        if (states != null) {
            states.add(hidden);
        }
    }

    /**
     * @param outputs the body's usual outputs
     * @return them followed by the recorded states (the same list)
     */
    public NDList appendTo(NDList outputs) {
        if (states != null) {
            outputs.addAll(states);
        }
        return outputs;
    }

    /**
     * What a head returns: its own outputs, then the hidden states its body appended.
     *
     * @param headOutputs the head's outputs (logits)
     * @param bodyOutputs what the body returned
     * @param firstHidden the index of the first hidden state in {@code bodyOutputs}
     * @return {@code headOutputs} followed by the hidden states (the same list)
     */
    public static NDList passOn(NDList headOutputs, NDList bodyOutputs, int firstHidden) {
        if (bodyOutputs.size() > firstHidden) {
            headOutputs.addAll(bodyOutputs.subNDList(firstHidden));
        }
        return headOutputs;
    }
}
