package io.github.peft4j.core.tuner;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import java.util.List;

/**
 * A tuner layer whose adapters each add a term to the base output, {@code y = base(x) + Σ delta_a(x)}
 * (LoRA, DoRA, parallel adapters). The tuner writes only {@link #delta}; routing, the disabled and
 * merged short-cuts and the sum over active adapters are {@link BaseTunerLayer}'s.
 *
 * <pre>{@code
 * final class ScaledLayer extends AdditiveTunerLayer {
 *     protected NDArray delta(ForwardCall call, String adapter, NDArray resultSoFar) {
 *         NDArray s = call.value(adapterParameters(adapter).get("scale." + adapter));
 *         return resultSoFar.mul(s); // y + s·y
 *     }
 * }
 * }</pre>
 */
public abstract class AdditiveTunerLayer extends BaseTunerLayer {

    /** @param baseLayer the layer being adapted */
    protected AdditiveTunerLayer(Block baseLayer) {
        super(baseLayer);
    }

    @Override
    protected final NDList forwardWith(ForwardCall call, List<String> adapters) {
        NDList base = forwardBase(call);
        if (adapters.isEmpty()) {
            return base;
        }
        NDArray result = base.head();
        for (String adapter : adapters) {
            result = result.add(delta(call, adapter, result).toType(result.getDataType(), false));
        }
        NDList out = new NDList(result);
        out.addAll(base.subNDList(1));
        return out;
    }

    /**
     * What one adapter adds to the output.
     *
     * @param call the forward call (its inputs are this adapter's rows under a mixed batch)
     * @param adapter an adapter this layer holds, active and not merged
     * @param resultSoFar the base output plus the terms of the adapters applied before this one
     * @return the term to add, shaped like {@code resultSoFar}
     */
    protected abstract NDArray delta(ForwardCall call, String adapter, NDArray resultSoFar);
}
