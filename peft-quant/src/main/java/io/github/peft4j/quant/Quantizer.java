package io.github.peft4j.quant;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.core.hooks.BaseModelInfo;
import io.github.peft4j.core.module.BlockSurgery;
import io.github.peft4j.core.module.LinearLike;
import io.github.peft4j.core.module.LinearTransform;
import io.github.peft4j.core.module.ModuleTree;
import io.github.peft4j.core.tuner.TunerLayer;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Quantizes the linear layers of a model in place, one layer at a time: each DJL {@code Linear} (or
 * {@code LinearLike}, such as GPT-2's {@code Conv1D}) is read, replaced by a {@link QuantizedLinear}
 * through block surgery, and its F32 weight closed right away, so the process never holds more than
 * one layer's F32 weight beyond the quantized model. Embeddings and norms are not linear layers and
 * stay F32; the output head and {@code skipModules} are skipped. Run it before wrapping the model
 * with a tuner (a model already holding tuner layers is refused).
 *
 * <pre>{@code
 * PretrainedModel base = HfModels.load(dir, manager);
 * List<String> done = Quantizer.quantize(base.block(), QuantizationConfig.of(QuantizationType.NF4));
 * PeftModel model = PeftModel.create(base.block(), LoraConfig.builder().targetModules("all-linear").build());
 * }</pre>
 */
public final class Quantizer {

    private static final Logger LOG = LoggerFactory.getLogger(Quantizer.class);

    private Quantizer() {}

    /**
     * @param root the model (holding no adapter layers)
     * @param config how to quantize
     * @return the paths of the quantized layers, in tree order
     * @throws PeftCompatibilityException if the model already holds tuner layers
     */
    public static List<String> quantize(Block root, QuantizationConfig config) {
        ModuleTree tree = ModuleTree.of(root);
        String head = root instanceof BaseModelInfo info ? info.outputEmbeddingsPath().orElse(null) : null;
        List<ModuleTree.Module> targets = new ArrayList<>();
        for (ModuleTree.Module m : tree.modules().values()) {
            if (m.block() instanceof TunerLayer) {
                throw new PeftCompatibilityException("module '" + m.path() + "' holds adapter layers; quantize the"
                        + " base model before wrapping it with a PEFT method");
            }
            if (m.parent() != null && LinearLike.of(m.block()).isPresent()
                    && !m.path().equals(head) && !skipped(m.path(), config.skipModules())) {
                targets.add(m);
            }
        }
        // Arrays shared with another module (a tied head) must not be closed.
        Map<NDArray, Integer> holders = new IdentityHashMap<>();
        for (Parameter p : tree.parameters().values()) {
            if (p.isInitialized()) {
                holders.merge(p.getArray(), 1, Integer::sum);
            }
        }
        List<String> done = new ArrayList<>();
        for (ModuleTree.Module m : targets) {
            LinearLike linear = LinearLike.of(m.block()).orElseThrow();
            QuantizedLinear q = quantizeLinear(linear, config);
            BlockSurgery.replace(m.parent(), m.block(), q);
            NDArray w = linear.weight().getArray();
            if (holders.getOrDefault(w, 0) <= 1) {
                w.close();
            } else {
                LOG.info("{}: weight shared with another module, kept in F32 there", m.path());
            }
            done.add(m.path());
        }
        LOG.info("quantized {} linear layers to {}{}", done.size(), config.type(), config.doubleQuant() ? " (double quant)" : "");
        return done;
    }

    /**
     * Quantizes while a model loads: pass the result to peft-models' {@code LoadOptions.linearTransform}
     * and each linear layer is quantized right after its weight is read, which the loader closes before
     * reading the next one, so the full F32 model is never in memory. The same layers are quantized as
     * by {@link #quantize}: not the head ({@code BaseModelInfo}) nor {@code skipModules}; a weight
     * shared with another module (a tied head) is left as it is.
     *
     * <pre>{@code
     * PretrainedModel base = HfModels.load(dir, manager, LoadOptions.builder()
     *         .linearTransform(Quantizer.atLoad(QuantizationConfig.of(QuantizationType.NF4))).build());
     * }</pre>
     *
     * @param config how to quantize
     * @return a transform replacing each quantized layer by a {@link QuantizedLinear}
     */
    public static LinearTransform atLoad(QuantizationConfig config) {
        return (root, path, module, linear) -> {
            String head = root instanceof BaseModelInfo info ? info.outputEmbeddingsPath().orElse(null) : null;
            boolean own = module.getDirectParameters().values().stream().anyMatch(p -> p == linear.weight());
            if (path.equals(head) || skipped(path, config.skipModules()) || !own) {
                return module;
            }
            return quantizeLinear(linear, config);
        };
    }

    private static boolean skipped(String path, List<String> names) {
        for (String name : names) {
            if (path.equals(name) || path.endsWith("." + name)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Quantizes one layer; the caller swaps it in and may close the F32 weight afterwards.
     *
     * @param linear a linear layer
     * @param config how to quantize
     * @return the quantized layer, its arrays in the weight's manager, sharing the bias parameter
     */
    public static QuantizedLinear quantizeLinear(LinearLike linear, QuantizationConfig config) {
        NDArray w = linear.weight().getArray();
        float[] values;
        if (linear.fanInFanOut()) {
            try (NDArray t = w.transpose()) {
                values = t.toType(DataType.FLOAT32, false).toFloatArray();
            }
        } else {
            values = w.toType(DataType.FLOAT32, false).toFloatArray();
        }
        return new QuantizedLinear(values, linear.outFeatures(), linear.inFeatures(),
                linear.bias().orElse(null), config, w.getManager());
    }
}
