package io.github.peft4j.adapters.bottleneck;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.peft4j.core.tuner.BaseTunerLayer;

/**
 * Wraps the first module of a sub-block (BERT {@code intermediate.dense}, GPT-2 {@code mlp.c_fc},
 * Llama {@code mlp.gate_proj}) and hands its input to the parallel {@link BottleneckLayer} at the
 * end of the same sub-block. It holds no tensors and leaves the module's output unchanged.
 *
 * <p>The input is kept per thread, from this module's forward until the adapter layer takes it
 * later in the same forward call, so concurrent forward calls on one model do not mix.
 *
 * <pre>{@code
 * BottleneckInputTap tap = model.replaceModule("bert.encoder.layer.0.intermediate.dense", BottleneckInputTap::new);
 * }</pre>
 */
public final class BottleneckInputTap extends BaseTunerLayer {

    private final ThreadLocal<NDArray> lastInput = new ThreadLocal<>();

    /** @param base the module whose input parallel adapters read */
    public BottleneckInputTap(Block base) {
        super(base);
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        lastInput.set(inputs.head());
        return baseLayer().forward(ps, inputs, training, params);
    }

    /** @return the input this thread's last forward through the module received, forgotten afterwards; or null */
    NDArray take() {
        NDArray x = lastInput.get();
        lastInput.remove();
        return x;
    }
}
