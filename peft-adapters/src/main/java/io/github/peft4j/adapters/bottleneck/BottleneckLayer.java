package io.github.peft4j.adapters.bottleneck;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.module.LinearLike;
import io.github.peft4j.core.tuner.BaseTunerLayer;
import io.github.peft4j.core.tuner.ForwardCall;
import io.github.peft4j.core.tuner.Tensors;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A sub-block's output projection followed by bottleneck adapters (see {@link BottleneckPlacement}
 * for where and why). Adapter {@code a} holds {@code adapter_down.<a>.weight} [m, in],
 * {@code adapter_down.<a>.bias} [m], {@code adapter_up.<a>.weight} [out, m] and
 * {@code adapter_up.<a>.bias} [out] (saved without the adapter name) and computes
 * <pre>
 *   f_a(h) = h + s · (W_up · act(W_down · z + b_down) + b_up)
 * </pre>
 * with {@code h} the projection's output and {@code z = h} (sequential) or the sub-block input
 * (parallel). The up-projection starts at zero, so {@code f_a(h) = h} at step 0. Adapters
 * combine by the layer's {@link Composition} (a {@link Composition.Stack} of the active adapters by
 * default); in a mixed batch each row uses its own adapter alone. Bottleneck adapters are
 * non-linear and cannot be merged into the base weights.
 *
 * <pre>{@code
 * BottleneckLayer layer = model.tunerLayerAt("bert.encoder.layer.0.output.dense", BottleneckLayer.class, BottleneckLayer::new);
 * layer.addAdapter("task", new BottleneckLayer.Spec(false, NonLinearity.RELU, 1f), 16, 4, "bert", model.manager());
 * }</pre>
 */
public final class BottleneckLayer extends BaseTunerLayer {

    /** Φ(2): the houlsby init is a normal truncated at ±2 standard deviations. */
    private static final double PHI_OF_TRUNCATION = 0.9772498680518208;

    /**
     * How one adapter computes.
     *
     * @param parallel whether it reads the sub-block input instead of the projection output
     * @param nonLinearity its activation
     * @param scaling the factor on its output
     */
    public record Spec(boolean parallel, NonLinearity nonLinearity, float scaling) {}

    private final long outFeatures;
    private final Map<String, Spec> specs = new HashMap<>();
    private BottleneckInputTap inputTap;
    private String inputPath;
    private Composition composition;

    /**
     * @param base the output projection (a linear layer: DJL {@code Linear} or a {@link LinearLike} block)
     * @throws PeftConfigException if it is not linear
     */
    public BottleneckLayer(Block base) {
        super(base);
        this.outFeatures = LinearLike.of(base).orElseThrow(() -> new PeftConfigException(
                "bottleneck adapters follow a linear output projection, not " + base.getClass().getName()))
                .outFeatures();
    }

    /** @return the size of the adapted output (the hidden size) */
    public long outFeatures() {
        return outFeatures;
    }

    /**
     * Adds an adapter with its up-projection at zero.
     *
     * @param adapterName the adapter
     * @param spec how it computes
     * @param inFeatures the size of what it reads: the output size, or the sub-block input size if parallel
     * @param bottleneck the bottleneck size m
     * @param initWeights the down-projection's init: bert (normal, std 0.02), mam_adapter
     *     (kaiming-uniform with a = √5, torch's Linear default) or houlsby (normal, std 0.01, truncated at ±2 std)
     * @param manager the model's manager
     */
    public void addAdapter(String adapterName, Spec spec, long inFeatures, int bottleneck, String initWeights,
            NDManager manager) {
        if (spec.parallel() && inputTap == null) {
            throw new IllegalStateException("a parallel adapter needs the sub-block input: call useInput first");
        }
        addAdapterParameter(adapterName, downWeight(adapterName), initDown(initWeights, bottleneck, inFeatures, manager));
        addAdapterParameter(adapterName, downBias(adapterName), manager.zeros(new Shape(bottleneck)));
        addAdapterParameter(adapterName, upWeight(adapterName), manager.zeros(new Shape(outFeatures, bottleneck)));
        addAdapterParameter(adapterName, upBias(adapterName), manager.zeros(new Shape(outFeatures)));
        specs.put(adapterName, spec);
    }

    private static NDArray initDown(String init, int rows, long cols, NDManager manager) {
        Shape shape = new Shape(rows, cols);
        return switch (init) {
            case "bert" -> manager.randomNormal(0f, 0.02f, shape, DataType.FLOAT32);
            case "mam_adapter" -> {
                float bound = (float) (1 / Math.sqrt(cols)); // kaiming_uniform(a=√5): sqrt(6 / ((1 + 5) · fan_in))
                yield manager.randomUniform(-bound, bound, shape);
            }
            case "houlsby" -> {
                // inverse-CDF sampling of N(0, 0.01²) restricted to ±2σ, as torch's trunc_normal_
                float edge = (float) (2 * PHI_OF_TRUNCATION - 1);
                try (NDArray u = manager.randomUniform(-edge, edge, shape); NDArray standard = u.erfinv()) {
                    yield standard.mul((float) (0.01 * Math.sqrt(2)));
                }
            }
            default -> throw new PeftConfigException("init_weights '" + init + "' is not supported");
        };
    }

    static String downWeight(String adapter) {
        return "adapter_down." + adapter + ".weight";
    }

    static String downBias(String adapter) {
        return "adapter_down." + adapter + ".bias";
    }

    static String upWeight(String adapter) {
        return "adapter_up." + adapter + ".weight";
    }

    static String upBias(String adapter) {
        return "adapter_up." + adapter + ".bias";
    }

    /**
     * Connects the module whose input parallel adapters read.
     *
     * @param tap the wrapped first module of the sub-block
     * @param path its path, for messages
     */
    public void useInput(BottleneckInputTap tap, String path) {
        if (inputTap != null && inputTap != tap) {
            throw new PeftCompatibilityException("parallel adapters at one module must read one input; this layer reads "
                    + inputPath + ", not " + path);
        }
        this.inputTap = tap;
        this.inputPath = path;
    }

    /**
     * @param adapterName an adapter of this layer
     * @return how it computes
     */
    public Spec spec(String adapterName) {
        Spec spec = specs.get(adapterName);
        if (spec == null) {
            throw new IllegalArgumentException("no adapter '" + adapterName + "' in this layer");
        }
        return spec;
    }

    /** @return the composition set with {@link Bottlenecks#setComposition}, if any */
    public Optional<Composition> composition() {
        return Optional.ofNullable(composition);
    }

    /** @param composition how adapters combine; {@code null} for a stack of the active adapters */
    void setComposition(Composition composition) {
        this.composition = composition;
    }

    /** A new set of active adapters replaces a composition made of other adapters. */
    @Override
    public void setActiveAdapters(List<String> adapterNames) {
        super.setActiveAdapters(adapterNames);
        if (composition != null && !new HashSet<>(composition.adapterNames()).equals(new HashSet<>(adapterNames))) {
            composition = null;
        }
    }

    @Override
    public void deleteAdapter(String adapterName) {
        super.deleteAdapter(adapterName);
        specs.remove(adapterName);
        if (composition != null && composition.adapterNames().contains(adapterName)) {
            composition = null;
        }
    }

    /**
     * The adapters combined by the composition when it is the one for exactly these adapters (the
     * active ones, in a plain forward), else stacked in order (one adapter per row group of a mixed
     * batch).
     */
    @Override
    protected NDList forwardWith(ForwardCall call, List<String> adapters) {
        // taken on every call, even when unused, so the tap's queue stays in step with this layer
        NDArray input = inputTap == null ? null : inputTap.take(call);
        NDList out = forwardBase(call);
        if (adapters.isEmpty()) {
            return out;
        }
        Composition c = composition != null && heldIn(composition).equals(new HashSet<>(adapters)) ? composition
                : new Composition.Stack(adapters.stream().map(Composition::adapter).toList());
        NDArray x = needsInput(c.adapterNames()) ? requireInput(input) : null;
        NDList result = new NDList(evaluate(c, out.head(), x, call));
        result.addAll(out.subNDList(1));
        return result;
    }

    private Set<String> heldIn(Composition c) {
        return c.adapterNames().stream().filter(this::hasAdapter).collect(Collectors.toSet());
    }

    private boolean needsInput(List<String> adapters) {
        return adapters.stream().anyMatch(a -> specs.containsKey(a) && specs.get(a).parallel());
    }

    private NDArray requireInput(NDArray input) {
        if (input == null) {
            throw new PeftCompatibilityException("a parallel bottleneck adapter needs the input of its sub-block, but "
                    + inputPath + " did not run before this layer in this forward call");
        }
        return input;
    }

    private NDArray evaluate(Composition c, NDArray h, NDArray x, ForwardCall call) {
        if (c instanceof Composition.Single single) {
            return apply(single.name(), h, x, call);
        }
        if (c instanceof Composition.Stack stack) {
            NDArray current = h;
            for (Composition child : stack.children()) {
                current = evaluate(child, current, x, call);
            }
            return current;
        }
        Composition.Average average = (Composition.Average) c;
        NDArray sum = null;
        for (int i = 0; i < average.children().size(); i++) {
            NDArray child = evaluate(average.children().get(i), h, x, call);
            NDArray term = child.mul(Tensors.scalar(child, average.weights().get(i)));
            sum = sum == null ? term : sum.add(term);
        }
        return sum;
    }

    /** f_a(h); the identity for an adapter this layer does not hold (or the base rows of a mixed batch). */
    private NDArray apply(String adapter, NDArray h, NDArray x, ForwardCall call) {
        Spec spec = specs.get(adapter);
        if (spec == null) {
            return h;
        }
        Map<String, Parameter> p = adapterParameters(adapter);
        NDArray z = spec.parallel() ? x : h;
        NDArray down = Linear.linear(z, call.value(p.get(downWeight(adapter))), call.value(p.get(downBias(adapter))))
                .singletonOrThrow();
        NDArray up = Linear.linear(spec.nonLinearity().apply(down), call.value(p.get(upWeight(adapter))),
                call.value(p.get(upBias(adapter)))).singletonOrThrow();
        return h.add(up.mul(Tensors.scalar(up, spec.scaling())));
    }
}
