package io.github.peft4j.adapters;

import ai.djl.nn.Block;
import io.github.peft4j.core.InjectionContext;
import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.core.tuner.TunerLayer;
import java.util.function.Function;

/**
 * The one-tuner-type-per-module rule of this module's methods: {@link InjectionContext#tunerLayerAt}
 * (the layer already there, or a new wrap), refusing a module another tuner already wraps, since
 * nesting an (IA)³ layer inside a bottleneck layer (or the reverse) would hide one from the other's
 * merging and saving.
 *
 * <pre>{@code
 * Ia3Layer layer = OneTunerPerModule.layerAt(model, "bert.encoder.layer.0.output.dense", Ia3Layer.class,
 *         Ia3Layer::new, "(IA)^3");
 * }</pre>
 */
public final class OneTunerPerModule {

    private OneTunerPerModule() {}

    /**
     * @param model the model being adapted
     * @param path the module's path
     * @param type the tuner's layer class
     * @param wrap makes the layer from the module when it is not one yet
     * @param tuner the tuner's name, for the message
     * @param <L> the layer type
     * @return the layer at {@code path}
     * @throws PeftCompatibilityException if a layer of another tuner wraps the module
     */
    public static <L extends TunerLayer> L layerAt(InjectionContext model, String path, Class<L> type, Function<Block, L> wrap,
            String tuner) {
        Block block = model.modules().get(path);
        if (block instanceof TunerLayer other && !type.isInstance(block)) {
            throw new PeftCompatibilityException(tuner + " cannot adapt " + path + ": it is already wrapped by "
                    + other.getClass().getSimpleName() + " (one tuner type per module)");
        }
        return model.tunerLayerAt(path, type, wrap);
    }
}
