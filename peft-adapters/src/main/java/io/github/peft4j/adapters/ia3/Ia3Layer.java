package io.github.peft4j.adapters.ia3;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.module.LinearLike;
import io.github.peft4j.core.tuner.BaseTunerLayer;
import io.github.peft4j.core.tuner.ForwardCall;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A linear layer with (IA)³ vectors, as PEFT's {@code ia3.Linear}. Each adapter holds
 * {@code ia3_l.<adapter>}: shape [out, 1] rescales the output ({@code y = base(x) * l}), shape
 * [1, in] on a feed-forward module rescales the input ({@code y = base(x * l)}). Several active
 * adapters multiply. Merging multiplies the weight (and, for output scaling, the bias) by the
 * vector; unmerging divides by {@code l + 1e-8}, which, as PEFT warns, can be inexact.
 *
 * <pre>{@code
 * Ia3Layer layer = model.tunerLayerAt("model.layers.0.mlp.down_proj", Ia3Layer.class, Ia3Layer::new);
 * layer.addAdapter("default", true, true, model.manager()); // feed-forward: ia3_l [1, in]
 * }</pre>
 */
public final class Ia3Layer extends BaseTunerLayer {

    private static final Logger LOG = LoggerFactory.getLogger(Ia3Layer.class);
    private static final float UNMERGE_EPS = 1e-8f;

    private final LinearLike linear;
    private final Map<String, Boolean> feedforward = new HashMap<>();

    /**
     * @param base a linear layer: DJL {@code Linear} or a block implementing {@link LinearLike}
     * @throws PeftConfigException if it is not linear
     */
    public Ia3Layer(Block base) {
        super(base);
        this.linear = LinearLike.of(base).orElseThrow(() -> new PeftConfigException(
                "(IA)^3 adapts linear layers (DJL Linear or a LinearLike block such as GPT-2's Conv1D), not "
                        + base.getClass().getName()));
    }

    /**
     * @param adapterName the adapter
     * @param isFeedforward whether the vector scales the input ([1, in]) rather than the output ([out, 1])
     * @param initOnes whether the vector starts at 1; otherwise standard normal
     * @param manager the model's manager
     */
    public void addAdapter(String adapterName, boolean isFeedforward, boolean initOnes, NDManager manager) {
        Shape shape = isFeedforward ? new Shape(1, linear.inFeatures()) : new Shape(linear.outFeatures(), 1);
        NDArray value = initOnes ? manager.ones(shape) : manager.randomNormal(shape);
        addAdapterParameter(adapterName, key(adapterName), value);
        feedforward.put(adapterName, isFeedforward);
    }

    private static String key(String adapterName) {
        return "ia3_l." + adapterName;
    }

    /**
     * @param adapterName an adapter of this layer
     * @return whether it scales the input
     */
    public boolean isFeedforward(String adapterName) {
        Boolean ff = feedforward.get(adapterName);
        if (ff == null) {
            throw new IllegalArgumentException("no adapter '" + adapterName + "' in this layer");
        }
        return ff;
    }

    /** @return the wrapped layer's weight view */
    public LinearLike linear() {
        return linear;
    }

    /** Input scales multiply before the base layer, output scales after it; several adapters multiply. */
    @Override
    protected NDList forwardWith(ForwardCall call, List<String> adapters) {
        NDArray x = call.input();
        NDArray inputScale = null;
        NDArray outputScale = null;
        for (String adapter : adapters) {
            // flattened as PEFT does; the view belongs to this call, not to the adapter's manager
            NDArray l = call.value(adapterParameters(adapter).get(key(adapter))).reshape(-1);
            l.attach(x.getManager());
            if (isFeedforward(adapter)) {
                inputScale = inputScale == null ? l : inputScale.mul(l);
            } else {
                outputScale = outputScale == null ? l : outputScale.mul(l);
            }
        }
        ForwardCall scaledInput = inputScale == null ? call : call.withInputs(new NDList(x.mul(inputScale)));
        NDArray y = forwardBase(scaledInput).singletonOrThrow();
        return new NDList(outputScale == null ? y : y.mul(outputScale));
    }

    @Override
    public boolean canMerge() {
        return true;
    }

    @Override
    protected void mergeAdapter(String adapterName) {
        rescale(adapterName, false);
    }

    @Override
    protected void unmergeAdapter(String adapterName) {
        LOG.warn("Unmerge result can be inaccurate for (IA)^3.");
        rescale(adapterName, true);
    }

    /** W (and for output scaling b) times l, or divided by l + 1e-8, with l laid out to fit W. */
    private void rescale(String adapter, boolean divide) {
        NDArray l = adapterArray(adapter, key(adapter));
        boolean ff = isFeedforward(adapter);
        long n = l.size();
        // torch weight [out, in]: output scaling hits rows, input scaling columns; Conv1D [in, out] is transposed
        Shape weightShape = ff == linear.fanInFanOut() ? new Shape(n, 1) : new Shape(1, n);
        try (NDManager scratch = l.getManager().newSubManager()) {
            NDArray factor = l.reshape(weightShape);
            factor.attach(scratch);
            if (divide) {
                factor = factor.add(UNMERGE_EPS);
            }
            apply(linear.weight(), factor, divide);
            Optional<Parameter> bias = linear.bias();
            if (!ff && bias.isPresent()) {
                NDArray flat = factor.reshape(-1);
                apply(bias.get(), flat, divide);
            }
        }
    }

    private static void apply(Parameter target, NDArray factor, boolean divide) {
        if (divide) {
            target.getArray().divi(factor);
        } else {
            target.getArray().muli(factor);
        }
    }

    @Override
    public void deleteAdapter(String adapterName) {
        super.deleteAdapter(adapterName);
        feedforward.remove(adapterName);
    }
}
