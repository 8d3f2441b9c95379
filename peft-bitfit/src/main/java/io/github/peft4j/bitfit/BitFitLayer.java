package io.github.peft4j.bitfit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.module.LinearLike;
import io.github.peft4j.core.tuner.ForwardCall;
import java.util.Map;
import java.util.Optional;

/**
 * A module with BitFit adapters: each adapter holds {@code bias.<adapter>}, a trained copy of the
 * module's bias (saved as {@code <path>.bias}, the module's own bias name). For a linear layer
 * without a bias (the Llama family) the adapter is a bias of its own, starting at zero and added
 * to the output; such a layer cannot be merged, since there is no base bias to fold it into.
 *
 * <pre>{@code
 * BitFitLayer layer = model.tunerLayerAt("bert.encoder.layer.0.attention.self.query", BitFitLayer.class, BitFitLayer::new);
 * layer.addAdapter("default", model.manager());
 * }</pre>
 */
public final class BitFitLayer extends ParameterCopyLayer {

    private final Parameter baseBias;
    private final long outFeatures;

    /**
     * @param base a module with a {@code bias} parameter, or a linear layer without one
     * @throws PeftConfigException if it has no bias and is not linear
     */
    public BitFitLayer(Block base) {
        super(base);
        this.baseBias = biasOf(base).orElse(null);
        if (baseBias != null) {
            outFeatures = baseBias.getArray().size();
        } else {
            outFeatures = LinearLike.of(base).map(LinearLike::outFeatures).orElseThrow(() -> new PeftConfigException(
                    "BitFit needs a bias or a linear layer to add one to; " + base.getClass().getName() + " has neither"));
        }
    }

    /**
     * @param block a module
     * @return its bias: a linear layer's, or a direct parameter named {@code bias}
     */
    public static Optional<Parameter> biasOf(Block block) {
        Optional<LinearLike> linear = LinearLike.of(block);
        if (linear.isPresent()) {
            return linear.get().bias();
        }
        return block.getDirectParameters().contains("bias")
                ? Optional.of(block.getDirectParameters().get("bias"))
                : Optional.empty();
    }

    /** @return whether the adapters add a bias the base module lacks */
    public boolean addsBias() {
        return baseBias == null;
    }

    /** @return the bias size */
    public long biasSize() {
        return outFeatures;
    }

    /**
     * @param adapterName the adapter
     * @param manager the model's manager
     */
    @Override
    public void addAdapter(String adapterName, NDManager manager) {
        NDArray value;
        if (baseBias != null) {
            value = baseBias.getArray().duplicate();
            value.attach(manager);
        } else {
            value = manager.zeros(new Shape(outFeatures));
        }
        addAdapterParameter(adapterName, key(adapterName), value);
    }

    private static String key(String adapterName) {
        return "bias." + adapterName;
    }

    @Override
    protected String tunerName() {
        return "BitFit";
    }

    @Override
    protected Map<Parameter, Parameter> copies(String adapterName) {
        return baseBias == null ? Map.of() : Map.of(baseBias, adapterParameters(adapterName).get(key(adapterName)));
    }

    @Override
    protected NDList adapted(ForwardCall call, String adapterName) {
        if (baseBias != null) {
            return super.adapted(call, adapterName);
        }
        NDArray y = forwardBase(call).singletonOrThrow();
        return new NDList(y.add(call.value(adapterParameters(adapterName).get(key(adapterName)))));
    }

    @Override
    public boolean canMerge() {
        return baseBias != null;
    }
}
