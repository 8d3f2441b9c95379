package io.github.peft4j.lora.layer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.core.tuner.Tensors;

/**
 * DoRA (PEFT's {@code DoraLinearVariant} and {@code DoraEmbeddingVariant}): the weight is split into
 * a trained magnitude per output unit ({@code lora_magnitude_vector}) and a direction
 * {@code (W + scaling·B·A) / ||W + scaling·B·A||}. What linear and embedding layers share — the
 * magnitude's start value, merging and unmerging — is here; each layer kind writes its forward term.
 * The norm is taken in the base weight's stored layout, over the axis that is not {@link LoraLayer#outAxis()}.
 *
 * <pre>{@code
 * DoraVariant v = new DoraLinearVariant(layer, "default");
 * v.init();                                   // magnitude = ||W + scaling·B·A|| per output unit
 * v.merge(w);                                 // W ← (W + ΔW)·m/||W + ΔW||, the norm kept for unmerge
 * }</pre>
 */
abstract sealed class DoraVariant implements LoraVariant permits DoraLinearVariant, DoraEmbeddingVariant {

    /** The tensor name PEFT saves the magnitude under (without {@code .weight}). */
    static final String MAGNITUDE = "lora_magnitude_vector";

    final LoraLayer layer;
    final String adapter;
    /** The weight norm taken when the adapter was merged; unmerge needs the norm of the original weight. */
    private NDArray mergedNorm;

    DoraVariant(LoraLayer layer, String adapter) {
        this.layer = layer;
        this.adapter = adapter;
    }

    /**
     * @param adapterName an adapter
     * @return the in-memory name of its magnitude vector
     */
    static String nameOfMagnitude(String adapterName) {
        return MAGNITUDE + "." + adapterName + ".weight";
    }

    @Override
    public void init() {
        NDArray magnitude;
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray w = layer.baseWeight().getArray().toType(layer.adapterDType(), false);
            magnitude = norm(w.add(layer.deltaOf(layer.loraA(adapter), layer.loraB(adapter), scaling())));
            NDScope.unregister(magnitude);
        }
        layer.addTensor(adapter, nameOfMagnitude(adapter), magnitude);
    }

    @Override
    public void merge(NDArray weight) {
        NDArray merged = weight.add(layer.deltaWeightAs(adapter, weight.getDataType()));
        NDArray norm = norm(merged);
        NDScope.unregister(norm);
        close();
        mergedNorm = norm;
        Tensors.assign(weight, merged.mul(alongOutputs(magnitude().div(norm))));
    }

    @Override
    public void unmerge(NDArray weight) {
        if (mergedNorm == null) {
            throw new IllegalStateException("no cached DoRA weight norm for merged adapter '" + adapter + "'");
        }
        NDArray delta = layer.deltaWeightAs(adapter, weight.getDataType());
        try (NDArray norm = mergedNorm) {
            mergedNorm = null;
            NDArray factor = magnitude().div(norm);
            Tensors.assign(weight, weight.div(alongOutputs(factor)).sub(delta));
        }
    }

    @Override
    public void checkMixedBatch() {
        throw new PeftCompatibilityException("adapter '" + adapter + "' is DoRA, which"
                + " cannot run in a mixed batch (one adapter per row); activate it with setActiveAdapters instead");
    }

    @Override
    public void close() {
        if (mergedNorm != null) {
            mergedNorm.close();
            mergedNorm = null;
        }
    }

    /** @return the adapter's scaling */
    double scaling() {
        return layer.settings(adapter).scaling();
    }

    private NDArray magnitude() {
        return layer.array(adapter, nameOfMagnitude(adapter));
    }

    /**
     * @param weight a weight in its stored layout (W + ΔW, or W + scaling·BA)
     * @return the L2 norm of each output unit's weights, shape [out]
     */
    NDArray norm(NDArray weight) {
        return weight.norm(new int[] {1 - layer.outAxis()});
    }

    /**
     * @param perOutput a vector with one entry per output unit
     * @return it shaped to broadcast against the stored weight
     */
    private NDArray alongOutputs(NDArray perOutput) {
        return layer.outAxis() == 0 ? perOutput.reshape(-1, 1) : perOutput.reshape(1, -1);
    }
}
