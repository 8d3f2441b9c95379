package io.github.peft4j.lora;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonValue;
import io.github.peft4j.core.ModulesToSave;
import io.github.peft4j.core.PeftConfig;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.targeting.TargetMatcher;
import io.github.peft4j.core.targeting.TargetModules;
import io.github.peft4j.lora.init.InitLoraWeights;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hugging Face PEFT's {@code LoraConfig}: the same JSON field names and defaults, validated as PEFT
 * validates them. Every field PEFT writes is written, so an {@code adapter_config.json} from peft4j
 * has exactly PEFT's keys; fields for features peft4j does not implement (Megatron, EVA, CorDA,
 * LoftQ, VeLoRA, aLoRA, QA-LoRA, MonteCLoRA, layer replication, target_parameters, BD-LoRA, Arrow,
 * KaSA, trainable tokens, weight tying) are read and kept, and rejected when they would change what
 * the adapter computes.
 *
 * <pre>{@code
 * LoraConfig config = LoraConfig.builder()
 *         .r(16).loraAlpha(32).loraDropout(0.05)
 *         .targetModules("q_proj", "v_proj")
 *         .taskType("CAUSAL_LM")
 *         .build();
 * PeftModel model = PeftModel.create(base, config);
 * }</pre>
 *
 * <p>When {@code target_modules} is absent, the modules PEFT chooses for the base model's
 * {@code model_type} are used ({@link LoraTargetDefaults}); {@code "all-linear"} adapts every linear
 * layer but the output head. Both are written back into the saved config as PEFT does.
 */
public final class LoraConfig extends PeftConfig implements ModulesToSave {

    private static final Logger LOG = LoggerFactory.getLogger(LoraConfig.class);

    /** The {@code peft_type} of LoRA. */
    public static final String PEFT_TYPE = "LORA";

    /**
     * The {@code peft_version} peft4j writes: the PEFT release whose format it follows, tagged with the
     * writer as PEFT tags development builds ({@code <version>@<commit>}).
     */
    public static final String PEFT_VERSION = "0.20.0@peft4j";

    /** PEFT's {@code bias} field: which biases train with the adapter. */
    public enum Bias {
        /** No bias is trained (the default). */
        NONE("none"),
        /** Every bias of the model trains and is saved with the adapter. */
        ALL("all"),
        /** Only the biases of the adapted layers train and are saved. */
        LORA_ONLY("lora_only");

        private final String json;

        Bias(String json) {
            this.json = json;
        }

        /** @return the JSON value */
        @JsonValue
        public String json() {
            return json;
        }

        /**
         * @param value {@code none}, {@code all} or {@code lora_only}
         * @return the constant
         */
        @JsonCreator
        public static Bias fromJson(String value) {
            for (Bias b : values()) {
                if (b.json.equals(value)) {
                    return b;
                }
            }
            throw new PeftConfigException("bias must be 'none', 'all' or 'lora_only', got '" + value + "'");
        }
    }

    @JsonProperty("r")
    int r = 8;

    @JsonProperty("target_modules")
    TargetModules targetModules;

    @JsonProperty("exclude_modules")
    TargetModules excludeModules;

    @JsonProperty("lora_alpha")
    Number loraAlpha = 8;

    @JsonProperty("lora_dropout")
    double loraDropout = 0.0;

    @JsonProperty("fan_in_fan_out")
    boolean fanInFanOut;

    @JsonProperty("bias")
    Bias bias = Bias.NONE;

    @JsonProperty("use_rslora")
    boolean useRslora;

    @JsonProperty("modules_to_save")
    List<String> modulesToSave;

    @JsonProperty("init_lora_weights")
    InitLoraWeights initLoraWeights = InitLoraWeights.TRUE;

    /** An int or a list of ints, kept as written. */
    @JsonProperty("layers_to_transform")
    Object layersToTransform;

    /** A string or a list of strings, kept as written. */
    @JsonProperty("layers_pattern")
    Object layersPattern;

    @JsonProperty("rank_pattern")
    Map<String, Integer> rankPattern = new LinkedHashMap<>();

    @JsonProperty("alpha_pattern")
    Map<String, Number> alphaPattern = new LinkedHashMap<>();

    @JsonProperty("megatron_config")
    Object megatronConfig;

    @JsonProperty("megatron_core")
    String megatronCore = "megatron.core";

    @JsonProperty("trainable_token_indices")
    Object trainableTokenIndices;

    @JsonProperty("loftq_config")
    Map<String, Object> loftqConfig = new LinkedHashMap<>();

    @JsonProperty("eva_config")
    Object evaConfig;

    @JsonProperty("corda_config")
    Object cordaConfig;

    @JsonProperty("lora_ga_config")
    Object loraGaConfig;

    @JsonProperty("use_dora")
    boolean useDora;

    @JsonProperty("velora_config")
    Object veloraConfig;

    @JsonProperty("alora_invocation_tokens")
    Object aloraInvocationTokens;

    @JsonProperty("use_qalora")
    boolean useQalora;

    @JsonProperty("qalora_group_size")
    int qaloraGroupSize = 16;

    @JsonProperty("monteclora_config")
    Object montecloraConfig;

    @JsonProperty("layer_replication")
    Object layerReplication;

    @JsonProperty("lora_bias")
    boolean loraBias;

    @JsonProperty("target_parameters")
    Object targetParameters;

    @JsonProperty("use_bdlora")
    Object useBdlora;

    @JsonProperty("arrow_config")
    Object arrowConfig;

    @JsonProperty("kasa_config")
    Object kasaConfig;

    @JsonProperty("ensure_weight_tying")
    boolean ensureWeightTying;

    @JsonProperty("peft_version")
    String peftVersion = PEFT_VERSION;

    private LoraConfig() {}

    @Override
    public String peftType() {
        return PEFT_TYPE;
    }

    /** @return a builder holding PEFT's defaults */
    public static Builder builder() {
        return new Builder(new LoraConfig());
    }

    /** @return a builder starting from this config's values */
    public Builder toBuilder() {
        return new Builder((LoraConfig) copy());
    }

    // ---------------------------------------------------------------- accessors

    /** @return the rank {@code r} */
    public int r() {
        return r;
    }

    /** @return {@code target_modules}, or {@code null} for the per-architecture default */
    public TargetModules targetModules() {
        return targetModules;
    }

    /** @return {@code exclude_modules}, or {@code null} */
    public TargetModules excludeModules() {
        return excludeModules;
    }

    /** @return {@code lora_alpha} */
    public double loraAlpha() {
        return loraAlpha.doubleValue();
    }

    /** @return {@code lora_dropout}, the dropout probability on the LoRA path */
    public double loraDropout() {
        return loraDropout;
    }

    /** @return {@code fan_in_fan_out} (the layer's actual layout wins, as in PEFT) */
    public boolean fanInFanOut() {
        return fanInFanOut;
    }

    /** @return {@code bias} */
    public Bias bias() {
        return bias;
    }

    /** @return {@code use_rslora}: scaling alpha/sqrt(r) instead of alpha/r */
    public boolean useRslora() {
        return useRslora;
    }

    /** @return {@code modules_to_save}, or {@code null} */
    @Override
    public List<String> modulesToSave() {
        return modulesToSave == null ? null : Collections.unmodifiableList(modulesToSave);
    }

    /** @return {@code init_lora_weights} */
    public InitLoraWeights initLoraWeights() {
        return initLoraWeights;
    }

    /** @return {@code layers_to_transform} as a list, or {@code null} when unset */
    public List<Integer> layersToTransform() {
        if (layersToTransform == null) {
            return null;
        }
        if (layersToTransform instanceof Number n) {
            return List.of(n.intValue());
        }
        List<Integer> out = new ArrayList<>();
        for (Object o : (Collection<?>) layersToTransform) {
            out.add(((Number) o).intValue());
        }
        return Collections.unmodifiableList(out);
    }

    /** @return {@code layers_pattern} as a list, or {@code null} when unset */
    public List<String> layersPattern() {
        if (layersPattern == null) {
            return null;
        }
        if (layersPattern instanceof String s) {
            // PEFT tests the length of what it was given: "" means no pattern.
            return s.isEmpty() ? List.of() : List.of(s);
        }
        List<String> out = new ArrayList<>();
        for (Object o : (Collection<?>) layersPattern) {
            out.add((String) o);
        }
        return Collections.unmodifiableList(out);
    }

    /** @return {@code rank_pattern}: module pattern to rank */
    public Map<String, Integer> rankPattern() {
        return rankPattern == null ? Map.of() : Collections.unmodifiableMap(rankPattern);
    }

    /** @return {@code alpha_pattern}: module pattern to alpha */
    public Map<String, Number> alphaPattern() {
        return alphaPattern == null ? Map.of() : Collections.unmodifiableMap(alphaPattern);
    }

    /** @return {@code use_dora}: weight-decomposed LoRA */
    public boolean useDora() {
        return useDora;
    }

    /** @return {@code lora_bias}: a trainable bias on lora_B */
    public boolean loraBias() {
        return loraBias;
    }

    /** @return {@code peft_version} */
    public String peftVersion() {
        return peftVersion;
    }

    /**
     * The rank of one module: {@code rank_pattern}'s value for the first matching key, else {@code r}.
     *
     * @param modulePath the module's path
     * @return its rank
     */
    public int rankFor(String modulePath) {
        return TargetMatcher.resolveInt(rankPattern, modulePath, r);
    }

    /**
     * The alpha of one module: {@code alpha_pattern}'s value for the first matching key, else {@code lora_alpha}.
     *
     * @param modulePath the module's path
     * @return its alpha
     */
    public double alphaFor(String modulePath) {
        return TargetMatcher.resolveDouble(alphaPattern, modulePath, loraAlpha());
    }

    /**
     * @param targets resolved target modules
     * @return a copy with them, as PEFT writes resolved targets into the saved config
     */
    public LoraConfig withTargetModules(TargetModules targets) {
        LoraConfig c = (LoraConfig) copy();
        c.targetModules = targets;
        return c;
    }

    /**
     * @param value the layout the adapted layers actually have
     * @return a copy with that {@code fan_in_fan_out}, as PEFT corrects the config it saves
     */
    public LoraConfig withFanInFanOut(boolean value) {
        LoraConfig c = (LoraConfig) copy();
        c.fanInFanOut = value;
        return c;
    }

    /** @return {@code r} and every {@code rank_pattern} rank */
    @Override
    public Map<String, Long> declaredSizes() {
        Map<String, Long> sizes = new LinkedHashMap<>();
        sizes.put("r", (long) r);
        rankPattern().forEach((k, v) -> sizes.put("rank_pattern." + k, (long) v));
        return sizes;
    }

    /**
     * PEFT's {@code save_pretrained(path_initial_model_for_weight_conversion=...)} for PiSSA and
     * OLoRA: the config of the converted adapter {@code [A; A₀]}, {@code [B, −B₀]}, which loads onto
     * the original base as a plain LoRA. The rank doubles; alpha doubles (×√2 with rsLoRA) so the
     * scaling stays; {@code init_lora_weights} becomes {@code true}, so loading runs no initialisation.
     *
     * @return the converted config
     */
    public LoraConfig convertedForOriginalBase() {
        LoraConfig c = (LoraConfig) copy();
        double alphaFactor = useRslora ? Math.sqrt(2) : 2;
        c.r = 2 * r;
        c.loraAlpha = scaleAlpha(loraAlpha, alphaFactor);
        c.rankPattern = new LinkedHashMap<>();
        rankPattern().forEach((k, v) -> c.rankPattern.put(k, 2 * v));
        c.alphaPattern = new LinkedHashMap<>();
        alphaPattern().forEach((k, v) -> c.alphaPattern.put(k, scaleAlpha(v, alphaFactor)));
        c.initLoraWeights = InitLoraWeights.TRUE;
        return c;
    }

    private static Number scaleAlpha(Number alpha, double factor) {
        boolean integral = factor == 2 && (alpha instanceof Integer || alpha instanceof Long);
        return integral ? (Number) (2 * alpha.longValue()) : (Number) (alpha.doubleValue() * factor);
    }

    // ---------------------------------------------------------------- validation

    /**
     * PEFT's {@code LoraConfig.__post_init__} checks, plus the features peft4j does not implement.
     *
     * @throws PeftConfigException naming the field at fault
     */
    @Override
    public void validate() {
        LoraConfigChecks.validate(this);
    }

    /**
     * @return the target-matching rules of this config; {@code target_modules} must be resolved
     *     (not {@code null})
     */
    TargetMatcher matcher() {
        return TargetMatcher.builder()
                .targets(targetModules)
                .exclude(excludeModules)
                .layersToTransform(layersToTransform())
                .layersPattern(layersPattern())
                .modulesToSave(modulesToSave)
                .build();
    }

    /**
     * Builds {@link LoraConfig}s; every setter takes PEFT's value for the field of the same name.
     *
     * <pre>{@code
     * LoraConfig dora = LoraConfig.builder().r(8).loraAlpha(16).useDora(true).targetModules("q_proj", "v_proj").build();
     * }</pre>
     */
    public static final class Builder extends LoraConfigSetters<Builder> {

        private Builder(LoraConfig start) {
            super(start);
        }
    }
}
