package io.github.peft4j.adapters.bottleneck;

import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.PeftModel;
import java.util.List;
import java.util.Optional;

/**
 * Model-level operations on bottleneck adapters that PEFT's API has no word for: composition.
 *
 * <pre>{@code
 * model.addAdapter("language", BottleneckConfig.builder().build());
 * model.addAdapter("task", BottleneckConfig.builder().build());
 * Bottlenecks.setComposition(model, Composition.stack("language", "task")); // activates both
 * model.setTrainable("language", false);                                   // train only the task adapter
 * }</pre>
 */
public final class Bottlenecks {

    private Bottlenecks() {}

    /**
     * Activates every adapter the composition names and makes every bottleneck layer combine them
     * that way. A later {@link PeftModel#setActiveAdapters} with other adapters drops the
     * composition (back to a stack of the active adapters).
     *
     * @param model the model
     * @param composition how the adapters combine
     * @throws PeftConfigException if a named adapter does not exist or is not a bottleneck adapter
     */
    public static void setComposition(PeftModel model, Composition composition) {
        List<String> names = composition.adapterNames();
        for (String name : names) {
            if (!model.adapterNames().contains(name)) {
                throw new PeftConfigException("composition names adapter '" + name + "', but the model has "
                        + model.adapterNames());
            }
            if (!(model.config(name) instanceof BottleneckConfig)) {
                throw new PeftConfigException("composition names adapter '" + name + "' of type "
                        + model.config(name).peftType() + "; Stack and Average combine " + BottleneckConfig.PEFT_TYPE
                        + " adapters");
            }
        }
        model.setActiveAdapters(names);
        for (BottleneckLayer layer : layers(model)) {
            layer.setComposition(composition);
        }
    }

    /**
     * @param model the model
     * @return the composition in use, if one was set and is still in force
     */
    public static Optional<Composition> composition(PeftModel model) {
        return layers(model).stream().findFirst().flatMap(BottleneckLayer::composition);
    }

    /**
     * @param model the model
     * @return its bottleneck layers, in tree order
     */
    public static List<BottleneckLayer> layers(PeftModel model) {
        return model.tunerLayers().stream()
                .filter(BottleneckLayer.class::isInstance)
                .map(BottleneckLayer.class::cast)
                .toList();
    }
}
