package io.github.peft4j.bitfit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.core.tuner.BaseTunerLayer;
import io.github.peft4j.core.tuner.ForwardCall;
import io.github.peft4j.core.tuner.Tensors;
import java.util.List;
import java.util.Map;

/**
 * A layer whose adapters are trained copies of some of the wrapped block's own parameters (as
 * PEFT's LN-tuning keeps a trained copy of the norm module). The base parameters are never
 * written by training: forward runs the block with the active adapter's copies in their place
 * ({@link ParameterSubstitution}), disabling or deleting the adapter gives the base block back,
 * and several adapters can live on one model. One adapter runs at a time, as in PEFT's LN-tuning
 * (the template in {@link BaseTunerLayer} runs each row group of a mixed batch with its own adapter).
 * Merging swaps the copies into the base parameters (PEFT swaps the modules) and unmerging swaps
 * them back, so both are exact.
 *
 * <pre>{@code
 * final class ScaleCopy extends ParameterCopyLayer {
 *     public void addAdapter(String adapter, NDManager m) { addAdapterParameter(adapter, "scale." + adapter, baseWeight.getArray().duplicate()); }
 *     protected Map<Parameter, Parameter> copies(String adapter) { return Map.of(baseWeight, copyOf(adapter)); }
 *     protected String tunerName() { return "ScaleCopy"; }
 * }
 * }</pre>
 */
public abstract class ParameterCopyLayer extends BaseTunerLayer {

    /** @param base the block whose parameters the adapters copy */
    protected ParameterCopyLayer(Block base) {
        super(base);
    }

    /** @return the tuner's name, for messages */
    protected abstract String tunerName();

    /**
     * Adds an adapter that starts out computing what the base block computes (copies of the base
     * parameters' current values).
     *
     * @param adapterName the adapter
     * @param manager the model's manager
     */
    public abstract void addAdapter(String adapterName, NDManager manager);

    /**
     * @param adapterName an adapter of this layer
     * @return each base parameter it replaces, with the adapter's copy
     */
    protected abstract Map<Parameter, Parameter> copies(String adapterName);

    /**
     * The block's output with one adapter; by default the block run with the adapter's copies.
     *
     * @param call the forward call
     * @param adapterName the adapter
     * @return the output
     */
    protected NDList adapted(ForwardCall call, String adapterName) {
        return ParameterSubstitution.forward(baseLayer(), copies(adapterName), call,
                tunerName() + " adapter '" + adapterName + "'");
    }

    @Override
    protected NDList forwardWith(ForwardCall call, List<String> adapters) {
        if (adapters.isEmpty()) {
            return forwardBase(call);
        }
        if (adapters.size() > 1) {
            throw new PeftCompatibilityException(tunerName() + " runs one adapter at a time, but " + adapters
                    + " are active; activate one of them (or route rows to them in a mixed batch)");
        }
        return adapted(call, adapters.get(0));
    }

    @Override
    public boolean canMerge() {
        return true;
    }

    /** One adapter at a time, as PEFT's LN-tuning: its copies become the base parameters. */
    @Override
    protected boolean mergesOneAdapterAtATime() {
        return true;
    }

    /** Swaps the adapter's copies into the base parameters. */
    @Override
    protected void mergeAdapter(String adapterName) {
        swap(adapterName);
    }

    /** Swaps the copies back out: a swap is its own inverse, so unmerging is exact. */
    @Override
    protected void unmergeAdapter(String adapterName) {
        swap(adapterName);
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
