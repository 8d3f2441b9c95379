package io.github.peft4j.bitfit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.core.hooks.AdapterRouting;
import io.github.peft4j.core.tuner.BaseTunerLayer;
import io.github.peft4j.core.tuner.MixedBatch;
import io.github.peft4j.core.tuner.Tensors;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A layer whose adapters are trained copies of some of the wrapped block's own parameters (as
 * PEFT's LN-tuning keeps a trained copy of the norm module). The base parameters are never
 * written by training: forward runs the block with the active adapter's copies in their place
 * ({@link ParameterSubstitution}), disabling or deleting the adapter gives the base block back,
 * and several adapters can live on one model. One adapter runs at a time, as in PEFT's LN-tuning;
 * a mixed batch runs each row with its own adapter. Merging swaps the copies into the base
 * parameters (PEFT swaps the modules) and unmerging swaps them back, so both are exact.
 *
 * <pre>{@code
 * final class ScaleCopy extends ParameterCopyLayer {
 *     protected Map<Parameter, Parameter> copies(String adapter) { return Map.of(baseWeight, copyOf(adapter)); }
 *     protected String tunerName() { return "ScaleCopy"; }
 * }
 * }</pre>
 */
public abstract class ParameterCopyLayer extends BaseTunerLayer {

    private static final Logger LOG = LoggerFactory.getLogger(ParameterCopyLayer.class);

    /** @param base the block whose parameters the adapters copy */
    protected ParameterCopyLayer(Block base) {
        super(base);
    }

    /** @return the tuner's name, for messages */
    protected abstract String tunerName();

    /**
     * @param adapterName an adapter of this layer
     * @return each base parameter it replaces, with the adapter's copy
     */
    protected abstract Map<Parameter, Parameter> copies(String adapterName);

    /**
     * The block's output with one adapter; by default the block run with the adapter's copies.
     *
     * @param adapterName the adapter
     * @param ps the parameter store
     * @param inputs the inputs
     * @param training whether this is a training forward
     * @param params the call's params
     * @return the output
     */
    protected NDList adapted(String adapterName, ParameterStore ps, NDList inputs, boolean training,
            PairList<String, Object> params) {
        return ParameterSubstitution.forward(baseLayer(), copies(adapterName), ps, inputs, training, params,
                tunerName() + " adapter '" + adapterName + "'");
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        if (adaptersDisabled()) {
            return baseLayer().forward(ps, inputs, training, params);
        }
        Optional<AdapterRouting> routing = routing(params);
        if (routing.isPresent()) {
            if (!mergedAdapters().isEmpty()) {
                throw new PeftCompatibilityException("a mixed batch cannot run while " + tunerName() + " adapter "
                        + mergedAdapters() + " is merged; unmerge it first");
            }
            NDArray out = MixedBatch.apply(inputs, routing.get(), (adapter, rows) -> (hasAdapter(adapter)
                    ? adapted(adapter, ps, rows, training, params)
                    : baseLayer().forward(ps, rows, training, params)).head());
            return new NDList(out);
        }
        List<String> active = adaptersForForward();
        if (active.isEmpty()) {
            return baseLayer().forward(ps, inputs, training, params);
        }
        if (active.size() > 1) {
            throw new PeftCompatibilityException(tunerName() + " runs one adapter at a time, but " + active
                    + " are active; activate one of them (or route rows to them in a mixed batch)");
        }
        return adapted(active.get(0), ps, inputs, training, params);
    }

    @Override
    public boolean canMerge() {
        return true;
    }

    /** Swaps the adapter's copies into the base parameters; one adapter at a time, as PEFT's LN-tuning. */
    @Override
    public void merge(List<String> adapterNames) {
        List<String> toMerge = adapterNames.stream()
                .filter(this::hasAdapter)
                .filter(a -> !mergedAdapters().contains(a))
                .toList();
        if (toMerge.isEmpty()) {
            return;
        }
        if (toMerge.size() > 1) {
            throw new PeftCompatibilityException("Trying to merge " + toMerge.size() + " adapters " + toMerge + ", but "
                    + tunerName() + " does not allow merging more than one adapter at a time");
        }
        if (!mergedAdapters().isEmpty()) {
            LOG.warn("Already merged with {}. Unmerging first.", mergedAdapters());
            unmerge();
        }
        swap(toMerge.get(0));
        markMerged(toMerge.get(0));
    }

    @Override
    public void unmerge() {
        for (String adapter : takeMergedForUnmerge()) {
            swap(adapter);
        }
    }

    private void swap(String adapter) {
        for (Map.Entry<Parameter, Parameter> e : copies(adapter).entrySet()) {
            NDArray base = e.getKey().getArray();
            NDArray copy = e.getValue().getArray();
            try (NDArray saved = base.duplicate()) {
                Tensors.assign(base, copy);
                Tensors.assign(copy, saved);
            }
        }
    }
}
