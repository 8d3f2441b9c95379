package io.github.peft4j.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import java.util.function.Supplier;

/**
 * Runs one transformer layer's forward in its own {@link NDScope} and hands only the layer's outputs
 * on. DJL otherwise keeps every intermediate array of the whole forward pass until the caller's
 * manager closes, so a training step holds all layers' temporaries through backward and a
 * forward-only pass holds them all at its end, where PyTorch frees each as soon as nothing refers to
 * it. Closing our handles is safe: a tensor autograd saved for backward keeps its own reference and
 * lives until backward has used it.
 *
 * <p>Arrays a layer must hand on besides its outputs (the key/value cache) unregister themselves from
 * the current scope ({@link NDScope#unregister(ai.djl.ndarray.NDArray...)}).
 *
 * <pre>{@code
 * return LayerScope.run(() -> new NDList(hidden.add(mlp.forward(ps, normed, training, params).head())));
 * }</pre>
 */
public final class LayerScope {

    private LayerScope() {}

    /**
     * @param forward the layer's computation
     * @return its outputs, registered with the enclosing scope (if any) instead of the layer's
     */
    public static NDList run(Supplier<NDList> forward) {
        NDList outputs;
        try (NDScope scope = new NDScope()) {
            outputs = forward.get();
            NDScope.unregister(outputs);
        }
        outputs.forEach(NDScope::register);
        return outputs;
    }

    /**
     * As {@link #run}, for a computation with one output: a sub-layer (attention, MLP) or a composed
     * op (attention scores, an activation) whose temporaries should go as soon as it returns, as
     * PyTorch frees them, rather than at the end of the layer.
     *
     * @param forward the computation
     * @return its output, registered with the enclosing scope (if any)
     */
    public static NDArray one(Supplier<NDArray> forward) {
        return run(() -> new NDList(forward.get())).head();
    }
}
