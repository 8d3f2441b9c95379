package io.github.peft4j.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.core.PeftConfig;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.BasePeftMethod;
import io.github.peft4j.core.InjectionContext;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.module.DequantizableLinear;
import io.github.peft4j.core.module.LinearLike;
import io.github.peft4j.core.module.ModuleTree;
import io.github.peft4j.core.targeting.TargetMatcher;
import io.github.peft4j.core.targeting.TargetModules;
import io.github.peft4j.core.tuner.AdapterKeys;
import io.github.peft4j.core.tuner.ModulesToSaveWrapper;
import io.github.peft4j.core.tuner.TunerLayer;
import io.github.peft4j.lora.layer.LoraLayer;
import io.github.peft4j.lora.layer.LoraLinear;
import io.github.peft4j.lora.layer.LoraSettings;
import java.nio.file.Path;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * LoRA as a {@link PeftMethod} ({@code peft_type} {@value LoraConfig#PEFT_TYPE}), PEFT's
 * {@code LoraModel}: resolves the targets (per-architecture defaults, {@code all-linear}), wraps each
 * target in a {@link LoraLayer} (or adds the adapter to the LoRA layer already there), registers
 * the biases {@code bias} makes trainable, and records the resolved targets in the adapter's config
 * as PEFT does ({@code modules_to_save} is core's, applied by {@link PeftModel} after injection).
 * Found through {@link java.util.ServiceLoader}; users call {@link PeftModel#create} with a
 * {@link LoraConfig}.
 *
 * <pre>{@code
 * PeftModel model = PeftModel.create(base, LoraConfig.builder().r(8).targetModules("q_proj", "v_proj").build());
 * model.addAdapter("other", LoraConfig.builder().r(4).targetModules("all-linear").build());
 * }</pre>
 */
public final class LoraMethod extends BasePeftMethod<LoraConfig> {

    private static final Logger LOG = LoggerFactory.getLogger(LoraMethod.class);

    /** For {@link java.util.ServiceLoader}, which finds this method through META-INF/services. */
    public LoraMethod() {
        super(LoraConfig.PEFT_TYPE, LoraConfig.class);
    }

    /**
     * PEFT's {@code _prepare_adapter_config}: resolves the targets (per-architecture defaults,
     * {@code all-linear} expanded to module names) and corrects {@code fan_in_fan_out} to the layout
     * of the layers it will wrap, so that the saved config records what was applied.
     */
    @Override
    protected LoraConfig prepare(InjectionContext model, LoraConfig config) {
        LoraConfig resolved = config.withTargetModules(resolveTargets(model, config));
        ModuleTree tree = model.modules();
        Boolean layout = null;
        for (String path : model.selectTargets(resolved.matcher())) {
            Optional<Boolean> fanInFanOut = storedLayout(tree.get(path));
            if (fanInFanOut.isPresent()) {
                layout = layout == null ? fanInFanOut.get() : layout || fanInFanOut.get();
            }
        }
        if (layout != null && layout != resolved.fanInFanOut()) {
            LOG.warn("fan_in_fan_out is set to {} but the target modules store their weights {}; setting fan_in_fan_out"
                    + " to {}", resolved.fanInFanOut(), layout ? "[in, out] (Conv1D)" : "[out, in] (Linear)", layout);
            resolved = resolved.withFanInFanOut(layout);
        }
        return resolved;
    }

    /** Whether a target stores its weight [in, out]; empty for blocks that are not linear layers. */
    private static Optional<Boolean> storedLayout(Block block) {
        if (block instanceof LoraLinear lora) {
            return Optional.of(lora.fanInFanOut());
        }
        if (block instanceof TunerLayer) {
            return Optional.empty();
        }
        if (block instanceof DequantizableLinear) {
            return Optional.of(false); // quantized layers are stored [out, in], as bitsandbytes does
        }
        return LinearLike.of(block).map(LinearLike::fanInFanOut);
    }

    @Override
    protected void injectAdapter(InjectionContext model, String adapterName, LoraConfig config) {
        checkOneBiasAdapter(model, adapterName, config);
        for (String path : model.selectTargets(config.matcher())) {
            addTo(model, path, adapterName, config);
        }
        registerBiases(model);
    }

    /**
     * An adapter whose initialisation rewrote the base (PiSSA, OLoRA) saves PEFT's converted form,
     * which loads onto the original base ({@link LoraConfig#convertedForOriginalBase}).
     */
    @Override
    public PeftConfig savedConfig(InjectionContext model, String adapterName, PeftConfig config) {
        LoraConfig c = (LoraConfig) config;
        return c.initLoraWeights().mutatesBaseWeight() ? c.convertedForOriginalBase() : c;
    }

    /** The tensors of {@link #savedConfig}: {@code [A; A₀]} and {@code [B, −B₀]} where the init rewrote the base. */
    @Override
    public Map<String, NDArray> savedStateDict(InjectionContext model, String adapterName, NDManager manager) {
        Map<String, NDArray> saved = new LinkedHashMap<>(model.defaultSavedStateDict(adapterName));
        for (TunerLayer layer : model.tunerLayers()) {
            if (layer instanceof LoraLinear lora && lora.adapterNames().contains(adapterName)) {
                lora.initialAB(adapterName).ifPresent(init -> {
                    replace(saved, lora.loraA(adapterName), lora.loraA(adapterName).concat(init.a(), 0), manager);
                    try (NDArray minusB0 = init.b().neg()) {
                        replace(saved, lora.loraB(adapterName), lora.loraB(adapterName).concat(minusB0, 1), manager);
                    }
                });
            }
        }
        return saved;
    }

    /** Puts {@code converted} where the state dict holds {@code current} (the same array). */
    private static void replace(Map<String, NDArray> saved, NDArray current, NDArray converted, NDManager manager) {
        converted.attach(manager);
        for (Map.Entry<String, NDArray> e : saved.entrySet()) {
            if (e.getValue() == current) {
                e.setValue(converted);
                return;
            }
        }
        throw new IllegalStateException("LoRA tensor of shape " + current.getShape() + " missing from the saved state dict");
    }

    /**
     * Loading is data only (DESIGN §6): an adapter saved with {@code init_lora_weights} PiSSA or OLoRA
     * without PEFT's conversion holds A and B for the base its initialisation rewrote, and reproducing
     * that base would change the model every other adapter shares.
     */
    @Override
    public void checkLoadable(PeftConfig saved, Path dir) {
        if (saved instanceof LoraConfig c && c.initLoraWeights().mutatesBaseWeight()) {
            throw new PeftCompatibilityException(dir + ": init_lora_weights=" + "'" + c.initLoraWeights() + "'"
                    + " adapters saved without conversion only work on the base their initialisation rewrote, and"
                    + " loading never changes the shared base. Save it from peft4j (which writes the converted,"
                    + " self-contained form) or from PEFT with save_pretrained(..., path_initial_model_for_weight_conversion=...)");
        }
    }

    /** PEFT's {@code _prepare_adapter_config} and {@code _maybe_include_all_linear_layers}. */
    private static TargetModules resolveTargets(InjectionContext model, LoraConfig config) {
        TargetModules targets = config.targetModules();
        if (targets == null) {
            return LoraTargetDefaults.forModel(model);
        }
        if (targets.isAllLinear()) {
            // Every linear module but the output head, by its full name: PEFT writes these into the config.
            // Modules another adapter trains in full (modules_to_save) are not linear layers to adapt.
            ModuleTree tree = model.modules();
            return TargetModules.names(model.selectTargets(TargetMatcher.builder().targets(targets).build()).stream()
                    .filter(path -> !(tree.get(path) instanceof ModulesToSaveWrapper))
                    .toList());
        }
        return targets;
    }

    private static void addTo(InjectionContext model, String path, String adapterName, LoraConfig config) {
        LoraSettings settings = new LoraSettings(config.rankFor(path), config.alphaFor(path), config.loraDropout(),
                config.useRslora(), config.loraBias(), config.useDora());
        model.tunerLayerAt(path, LoraLayer.class, block -> LoraLayer.wrap(block, path))
                .addAdapter(adapterName, settings, config.initLoraWeights(), model.manager());
    }

    /** PEFT allows {@code bias != "none"} for one adapter only. */
    private static void checkOneBiasAdapter(InjectionContext model, String adapterName, LoraConfig config) {
        if (config.bias() == LoraConfig.Bias.NONE) {
            return;
        }
        for (String other : loraAdapters(model)) {
            if (!other.equals(adapterName) && model.config(other) instanceof LoraConfig c && c.bias() != LoraConfig.Bias.NONE) {
                throw new PeftConfigException("LoraModel supports only 1 adapter with bias. When using multiple"
                        + " adapters, set bias to 'none' for all adapters (adapter '" + other + "' has bias='"
                        + c.bias().json() + "').");
            }
        }
    }

    /**
     * Registers, for every LoRA adapter with {@code bias != "none"}, the biases it trains and saves under
     * PEFT's keys ({@code <path>.bias}; {@code <path>.base_layer.bias} inside adapted layers). Run after
     * every injection, because wrapping a module moves its bias under {@code base_layer}.
     */
    private static void registerBiases(InjectionContext model) {
        Map<Parameter, Boolean> adapterTensors = new IdentityHashMap<>();
        for (TunerLayer layer : model.tunerLayers()) {
            for (String name : layer.adapterNames()) {
                layer.adapterParameters(name).values().forEach(p -> adapterTensors.put(p, Boolean.TRUE));
            }
        }
        ModuleTree tree = model.modules();
        for (String adapter : loraAdapters(model)) {
            if (!(model.config(adapter) instanceof LoraConfig c) || c.bias() == LoraConfig.Bias.NONE) {
                continue;
            }
            for (Map.Entry<String, Parameter> e : tree.parameters().entrySet()) {
                String key = e.getKey();
                if (adapterTensors.containsKey(e.getValue()) || !(key.equals("bias") || key.endsWith(".bias"))) {
                    continue;
                }
                if (c.bias() == LoraConfig.Bias.LORA_ONLY && !isBiasOfLoraLayer(tree, key)) {
                    continue;
                }
                model.registerAdapterTensor(adapter, key, AdapterKeys.withPrefix(key), e.getValue());
            }
        }
    }

    /** The model's LoRA adapters, the one being injected included. */
    private static List<String> loraAdapters(InjectionContext model) {
        return model.adapterNames().stream().filter(a -> model.config(a) instanceof LoraConfig).toList();
    }

    private static boolean isBiasOfLoraLayer(ModuleTree tree, String key) {
        String suffix = ".base_layer.bias";
        if (!key.endsWith(suffix)) {
            return false;
        }
        String layerPath = key.substring(0, key.length() - suffix.length());
        return tree.find(layerPath).map(m -> m.block() instanceof LoraLayer).orElse(false);
    }
}
