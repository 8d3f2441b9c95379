package io.github.peft4j.core.tuner;

import ai.djl.ndarray.NDList;
import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.core.hooks.AdapterRouting;
import java.util.List;
import java.util.ServiceLoader;

/**
 * Dispatch of mixed batches under {@link RowGather#KEY}: a layer that holds none of the rows'
 * adapters runs its base layer once on all rows; otherwise the installed {@link RowGather} that
 * supports every adapter the rows name computes it.
 *
 * <pre>{@code
 * if (GatheredBatch.supportsAdapter(model.tunerLayers(), "acme")) { ... decode acme's rows batched ... }
 * }</pre>
 */
public final class GatheredBatch {

    private static final List<RowGather> INSTALLED = ServiceLoader.load(RowGather.class, RowGather.class.getClassLoader())
            .stream().map(ServiceLoader.Provider::get).toList();

    private GatheredBatch() {}

    /**
     * @param layers the tuner layers of a model
     * @param adapter an adapter of that model
     * @return whether every layer holding the adapter can compute it in a gathered batch
     */
    public static boolean supportsAdapter(List<TunerLayer> layers, String adapter) {
        return layers.stream().filter(l -> l.adapterNames().contains(adapter))
                .allMatch(l -> INSTALLED.stream().anyMatch(g -> g.supports(l, adapter)));
    }

    static NDList forward(BaseTunerLayer layer, ForwardCall call, AdapterRouting routing) {
        List<String> held = routing.adapterNames().stream().distinct().filter(layer::hasAdapter).toList();
        if (held.isEmpty()) {
            return layer.baseLayer().forward(call.parameterStore(), call.inputs(), call.training(), call.params());
        }
        for (RowGather g : INSTALLED) {
            if (held.stream().allMatch(a -> g.supports(layer, a))) {
                return g.forward(layer, call, routing);
            }
        }
        throw new PeftCompatibilityException("adapters " + held + " of " + layer + " cannot run in a gathered batch"
                + " (no installed RowGather supports them); decode their rows one at a time");
    }
}
