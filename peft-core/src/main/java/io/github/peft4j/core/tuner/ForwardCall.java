package io.github.peft4j.core.tuner;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * One forward call of a tuner layer, as DJL hands it to {@code forwardInternal}: what a tuner's
 * per-adapter code needs to read its tensors on the input's device and to run the base layer.
 * Under a mixed batch the inputs are the rows of one adapter only.
 *
 * <pre>{@code
 * protected NDArray delta(ForwardCall call, String adapter, NDArray resultSoFar) {
 *     NDArray a = call.value(adapterParameters(adapter).get("delta_A." + adapter + ".weight"));
 *     return call.input().matMul(a.transpose());
 * }
 * }</pre>
 *
 * @param parameterStore the call's parameter store
 * @param inputs the layer's inputs (batch first)
 * @param training whether this is a training forward
 * @param params the call's extra parameters (they carry the {@link io.github.peft4j.core.hooks.ForwardContext})
 */
public record ForwardCall(ParameterStore parameterStore, NDList inputs, boolean training, PairList<String, Object> params) {

    /** @return the first input, the one tuners transform */
    public NDArray input() {
        return inputs.head();
    }

    /**
     * @param parameter an adapter or base parameter
     * @return its value on the input's device, recorded for autograd when training
     */
    public NDArray value(Parameter parameter) {
        return parameterStore.getValue(parameter, input().getDevice(), training);
    }

    /**
     * @param rows other inputs (a sub-batch of this call's)
     * @return the same call on those inputs
     */
    public ForwardCall withInputs(NDList rows) {
        return new ForwardCall(parameterStore, rows, training, params);
    }
}
