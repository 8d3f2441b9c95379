package io.github.peft4j.bitfit;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.core.tuner.ForwardCall;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs a block with some of its parameters replaced by others, without touching the block: the
 * block reads its parameters through the {@link ParameterStore} it is given (as every DJL block
 * does), and this store answers with the replacements. Gradients then reach the replacements, and
 * one shared block serves several adapters, concurrently, each with its own copy.
 *
 * <pre>{@code
 * NDList y = ParameterSubstitution.forward(layerNorm, Map.of(lnWeight, adapterWeight, lnBias, adapterBias),
 *         call, "LN-tuning of bert.encoder.layer.0.output.LayerNorm");
 * }</pre>
 */
public final class ParameterSubstitution {

    private ParameterSubstitution() {}

    /**
     * @param block the block to run
     * @param replacements base parameter → the parameter to read in its place
     * @param call the forward call (its parameter store answers for the parameters not replaced)
     * @param what the tuner and module, for messages
     * @return the block's output computed with the replacements
     * @throws PeftCompatibilityException if the block did not read a replaced parameter through
     *     the store (it would silently compute with the original)
     */
    public static NDList forward(Block block, Map<Parameter, Parameter> replacements, ForwardCall call, String what) {
        Store store = new Store(call.parameterStore(), replacements);
        NDList out = block.forward(store, call.inputs(), call.training(), call.params());
        if (store.read.size() != replacements.size()) {
            List<String> unread = replacements.keySet().stream()
                    .filter(p -> !store.read.contains(p)).map(Parameter::getName).toList();
            throw new PeftCompatibilityException(what + ": " + block.getClass().getName() + " did not read its parameters "
                    + unread + " through the ParameterStore, so they cannot be replaced by the adapter's copies; "
                    + "the block must fetch parameters with parameterStore.getValue(...) as DJL's blocks do");
        }
        return out;
    }

    /** A parameter store that answers with the replacements and records which ones were asked for. */
    private static final class Store extends ParameterStore {
        private final ParameterStore outer;
        private final Map<Parameter, Parameter> replacements;
        private final Set<Parameter> read = Collections.newSetFromMap(new IdentityHashMap<>());

        Store(ParameterStore outer, Map<Parameter, Parameter> replacements) {
            super(outer.getManager(), false);
            this.outer = outer;
            this.replacements = new IdentityHashMap<>(replacements);
        }

        @Override
        public NDArray getValue(Parameter parameter, Device device, boolean training) {
            Parameter replacement = parameter == null ? null : replacements.get(parameter);
            if (replacement == null) {
                return outer.getValue(parameter, device, training);
            }
            read.add(parameter);
            return outer.getValue(replacement, device, training);
        }

        @Override
        public void updateAllParameters() {
            outer.updateAllParameters();
        }

        @Override
        public void sync() {
            outer.sync();
        }
    }
}
