package io.github.peft4j.adapters.bottleneck;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.util.PairList;
import io.github.peft4j.core.tuner.BaseTunerLayer;
import io.github.peft4j.core.tuner.ForwardCall;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * Wraps the first module of a sub-block (BERT {@code intermediate.dense}, GPT-2 {@code mlp.c_fc},
 * Llama {@code mlp.gate_proj}) and hands its input to the parallel {@link BottleneckLayer} at the
 * end of the same sub-block. It holds no tensors and leaves the module's output unchanged.
 *
 * <p>Each input is handed over once, per thread, so concurrent forward calls on one model do not
 * mix. Under a mixed batch the template runs this module and the adapter layer once per row group,
 * in the same order, so the inputs queue up and the layer takes them in turn; each carries its
 * forward call's {@code params} so that inputs left by a call that failed half-way are dropped.
 *
 * <pre>{@code
 * BottleneckInputTap tap = model.tunerLayerAt("bert.encoder.layer.0.intermediate.dense", BottleneckInputTap.class,
 *         BottleneckInputTap::new);
 * }</pre>
 */
public final class BottleneckInputTap extends BaseTunerLayer {

    private record Handed(PairList<String, Object> params, NDArray input) {}

    private final ThreadLocal<Deque<Handed>> handed = ThreadLocal.withInitial(ArrayDeque::new);

    /** @param base the module whose input parallel adapters read */
    public BottleneckInputTap(Block base) {
        super(base);
    }

    @Override
    protected NDList forwardWith(ForwardCall call, List<String> adapters) {
        Deque<Handed> queue = handed.get();
        if (!queue.isEmpty() && queue.peekFirst().params() != call.params()) {
            queue.clear();
        }
        queue.addLast(new Handed(call.params(), call.input()));
        return forwardBase(call);
    }

    /**
     * @param call the adapter layer's forward call (or row group)
     * @return the input of this module's matching call on this thread, handed over once; or null
     */
    NDArray take(ForwardCall call) {
        Deque<Handed> queue = handed.get();
        Handed next = queue.pollFirst();
        if (next == null || next.params() != call.params()) {
            handed.remove();
            return null;
        }
        if (queue.isEmpty()) {
            handed.remove();
        }
        return next.input();
    }
}
