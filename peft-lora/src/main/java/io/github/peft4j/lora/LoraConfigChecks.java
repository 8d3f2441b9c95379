package io.github.peft4j.lora;

import io.github.peft4j.core.PeftConfigException;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The checks of {@link LoraConfig#validate()}: PEFT's {@code LoraConfig.__post_init__}, the shapes of
 * the fields PEFT accepts in several forms, and the features peft4j reads but does not implement.
 *
 * <pre>{@code
 * LoraConfig.builder().loraBias(true).useDora(true).build(); // PeftConfigException: lora_bias ... DoRA
 * }</pre>
 */
final class LoraConfigChecks {

    private static final Logger LOG = LoggerFactory.getLogger(LoraConfig.class);

    private LoraConfigChecks() {}

    static void validate(LoraConfig c) {
        if (c.r <= 0) {
            throw new PeftConfigException("`r` should be a positive integer value but the value passed is " + c.r);
        }
        if (c.loraAlpha == null) {
            throw new PeftConfigException("lora_alpha must be a number");
        }
        checkAlpha("lora_alpha", c.loraAlpha);
        if (!(c.loraDropout >= 0 && c.loraDropout < 1)) {
            throw new PeftConfigException("lora_dropout must be in [0, 1), got " + c.loraDropout);
        }
        if (c.bias == null) {
            throw new PeftConfigException("bias must be 'none', 'all' or 'lora_only'");
        }
        if (c.initLoraWeights == null) {
            throw new PeftConfigException("init_lora_weights must be true, false or a string");
        }
        checkShapes(c);
        boolean strTargets = c.targetModules != null && !c.targetModules.isNames();
        if (strTargets && c.layersToTransform != null) {
            throw new PeftConfigException("`layers_to_transform` cannot be used when `target_modules` is a str.");
        }
        if (strTargets && c.layersPattern != null) {
            throw new PeftConfigException("`layers_pattern` cannot be used when `target_modules` is a str.");
        }
        List<String> layersPattern = c.layersPattern();
        if (layersPattern != null && !layersPattern.isEmpty() && c.layersToTransform == null) {
            throw new PeftConfigException(
                    "When `layers_pattern` is specified, `layers_to_transform` must also be specified. ");
        }
        if (c.excludeModules != null && c.excludeModules.isAllLinear()) {
            throw new PeftConfigException("exclude_modules does not support 'all-linear'");
        }
        c.initLoraWeights.requireSupported();
        if (c.loftqConfig != null && !c.loftqConfig.isEmpty()) {
            LOG.warn("`loftq_config` specified but will be ignored when `init_lora_weights` is not 'loftq'.");
            c.loftqConfig = new LinkedHashMap<>();
        }
        if (c.evaConfig != null) {
            LOG.warn("`eva_config` specified but will be ignored when `init_lora_weights` is not 'eva'.");
        }
        if (c.cordaConfig != null) {
            LOG.warn("`corda_config` specified but will be ignored when `init_lora_weights` is not 'corda'.");
        }
        if (c.loraBias) {
            if (!c.initLoraWeights.isBoolean()) {
                throw new PeftConfigException("The argument lora_bias=True is only supported with init_lora_weights=True"
                        + " or False, got init_lora_weights=" + c.initLoraWeights + " instead.");
            }
            if (c.useDora) {
                throw new PeftConfigException(
                        "The argument lora_bias=True is not supported for DoRA, please pass use_dora=False");
            }
        }
        rejectUnsupported("megatron_config", c.megatronConfig != null, "Megatron parallel layers");
        rejectUnsupported("trainable_token_indices", c.trainableTokenIndices != null, "trainable tokens");
        rejectUnsupported("velora_config", c.veloraConfig != null, "VeLoRA");
        rejectUnsupported("alora_invocation_tokens", c.aloraInvocationTokens != null, "activated LoRA (aLoRA)");
        rejectUnsupported("use_qalora", c.useQalora, "QA-LoRA (it needs a GPTQ-quantised base)");
        rejectUnsupported("monteclora_config", c.montecloraConfig != null, "MonteCLoRA");
        rejectUnsupported("layer_replication", c.layerReplication != null, "layer replication");
        rejectUnsupported("target_parameters", c.targetParameters instanceof Collection<?> list && !list.isEmpty()
                || c.targetParameters instanceof String, "targeting nn.Parameter");
        rejectUnsupported("use_bdlora", c.useBdlora != null, "block-diagonal LoRA");
        rejectUnsupported("arrow_config", c.arrowConfig != null, "Arrow routing");
        rejectUnsupported("kasa_config", c.kasaConfig != null, "KaSA");
        rejectUnsupported("ensure_weight_tying", c.ensureWeightTying, "tied embedding/lm_head adapters");
        boolean patterns = !c.rankPattern().isEmpty() || !c.alphaPattern().isEmpty();
        if (c.useRslora && patterns && c.initLoraWeights.mutatesBaseWeight()) {
            LOG.warn("Using Rank-Stabilized LoRA with rank_pattern/alpha_pattern and a weight-mutating initialisation"
                    + " ({}) means the trained adapter cannot be converted back to a plain LoRA", c.initLoraWeights);
        }
    }

    private static void checkShapes(LoraConfig c) {
        if (c.layersToTransform != null && !(c.layersToTransform instanceof Number)) {
            if (!(c.layersToTransform instanceof Collection<?> list) || list.stream().anyMatch(o -> !(o instanceof Number))) {
                throw new PeftConfigException("layers_to_transform must be an int or a list of ints, got "
                        + c.layersToTransform);
            }
        }
        if (c.layersPattern != null && !(c.layersPattern instanceof String)) {
            if (!(c.layersPattern instanceof Collection<?> list) || list.stream().anyMatch(o -> !(o instanceof String))) {
                throw new PeftConfigException("layers_pattern must be a string or a list of strings, got " + c.layersPattern);
            }
        }
        for (Map.Entry<String, Integer> e : c.rankPattern().entrySet()) {
            if (e.getValue() == null || e.getValue() <= 0) {
                throw new PeftConfigException("rank_pattern['" + e.getKey() + "'] must be a positive rank, got "
                        + e.getValue());
            }
        }
        for (Map.Entry<String, Number> e : c.alphaPattern().entrySet()) {
            if (e.getValue() == null) {
                throw new PeftConfigException("alpha_pattern['" + e.getKey() + "'] must be a number");
            }
            checkAlpha("alpha_pattern['" + e.getKey() + "']", e.getValue());
        }
    }

    /**
     * The largest |alpha| accepted: FP16's largest value. Issue 24: {@code lora_alpha: 1e30} loaded and
     * made every logit NaN; no trained adapter scales its update by more than this.
     */
    static final double MAX_ALPHA = 65504;

    private static void checkAlpha(String field, Number alpha) {
        double a = alpha.doubleValue();
        if (!Double.isFinite(a) || Math.abs(a) > MAX_ALPHA) {
            throw new PeftConfigException(field + " must be a finite number of magnitude at most " + (long) MAX_ALPHA
                    + " (a larger scaling overflows the adapter's output), got " + alpha);
        }
    }

    private static void rejectUnsupported(String field, boolean set, String feature) {
        if (set) {
            throw new PeftConfigException(field + " is set, but peft4j does not implement " + feature
                    + "; remove the field (or set it to its default) to use this adapter with peft4j");
        }
    }
}
