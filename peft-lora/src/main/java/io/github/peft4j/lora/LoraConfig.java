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
    private int r = 8;

    @JsonProperty("target_modules")
    private TargetModules targetModules;

    @JsonProperty("exclude_modules")
    private TargetModules excludeModules;

    @JsonProperty("lora_alpha")
    private Number loraAlpha = 8;

    @JsonProperty("lora_dropout")
    private double loraDropout = 0.0;

    @JsonProperty("fan_in_fan_out")
    private boolean fanInFanOut;

    @JsonProperty("bias")
    private Bias bias = Bias.NONE;

    @JsonProperty("use_rslora")
    private boolean useRslora;

    @JsonProperty("modules_to_save")
    private List<String> modulesToSave;

    @JsonProperty("init_lora_weights")
    private InitLoraWeights initLoraWeights = InitLoraWeights.TRUE;

    /** An int or a list of ints, kept as written. */
    @JsonProperty("layers_to_transform")
    private Object layersToTransform;

    /** A string or a list of strings, kept as written. */
    @JsonProperty("layers_pattern")
    private Object layersPattern;

    @JsonProperty("rank_pattern")
    private Map<String, Integer> rankPattern = new LinkedHashMap<>();

    @JsonProperty("alpha_pattern")
    private Map<String, Number> alphaPattern = new LinkedHashMap<>();

    @JsonProperty("megatron_config")
    private Object megatronConfig;

    @JsonProperty("megatron_core")
    private String megatronCore = "megatron.core";

    @JsonProperty("trainable_token_indices")
    private Object trainableTokenIndices;

    @JsonProperty("loftq_config")
    private Map<String, Object> loftqConfig = new LinkedHashMap<>();

    @JsonProperty("eva_config")
    private Object evaConfig;

    @JsonProperty("corda_config")
    private Object cordaConfig;

    @JsonProperty("lora_ga_config")
    private Object loraGaConfig;

    @JsonProperty("use_dora")
    private boolean useDora;

    @JsonProperty("velora_config")
    private Object veloraConfig;

    @JsonProperty("alora_invocation_tokens")
    private Object aloraInvocationTokens;

    @JsonProperty("use_qalora")
    private boolean useQalora;

    @JsonProperty("qalora_group_size")
    private int qaloraGroupSize = 16;

    @JsonProperty("monteclora_config")
    private Object montecloraConfig;

    @JsonProperty("layer_replication")
    private Object layerReplication;

    @JsonProperty("lora_bias")
    private boolean loraBias;

    @JsonProperty("target_parameters")
    private Object targetParameters;

    @JsonProperty("use_bdlora")
    private Object useBdlora;

    @JsonProperty("arrow_config")
    private Object arrowConfig;

    @JsonProperty("kasa_config")
    private Object kasaConfig;

    @JsonProperty("ensure_weight_tying")
    private boolean ensureWeightTying;

    @JsonProperty("peft_version")
    private String peftVersion = PEFT_VERSION;

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

    // ---------------------------------------------------------------- validation

    /**
     * PEFT's {@code LoraConfig.__post_init__} checks, plus the features peft4j does not implement.
     *
     * @throws PeftConfigException naming the field at fault
     */
    @Override
    public void validate() {
        if (r <= 0) {
            throw new PeftConfigException("`r` should be a positive integer value but the value passed is " + r);
        }
        if (loraAlpha == null) {
            throw new PeftConfigException("lora_alpha must be a number");
        }
        if (!(loraDropout >= 0 && loraDropout < 1)) {
            throw new PeftConfigException("lora_dropout must be in [0, 1), got " + loraDropout);
        }
        if (bias == null) {
            throw new PeftConfigException("bias must be 'none', 'all' or 'lora_only'");
        }
        if (initLoraWeights == null) {
            throw new PeftConfigException("init_lora_weights must be true, false or a string");
        }
        checkShapes();
        boolean strTargets = targetModules != null && !targetModules.isNames();
        if (strTargets && layersToTransform != null) {
            throw new PeftConfigException("`layers_to_transform` cannot be used when `target_modules` is a str.");
        }
        if (strTargets && layersPattern != null) {
            throw new PeftConfigException("`layers_pattern` cannot be used when `target_modules` is a str.");
        }
        List<String> patterns = layersPattern();
        if (patterns != null && !patterns.isEmpty() && layersToTransform == null) {
            throw new PeftConfigException(
                    "When `layers_pattern` is specified, `layers_to_transform` must also be specified. ");
        }
        if (excludeModules != null && excludeModules.isAllLinear()) {
            throw new PeftConfigException("exclude_modules does not support 'all-linear'");
        }
        initLoraWeights.requireSupported();
        if (loftqConfig != null && !loftqConfig.isEmpty()) {
            LOG.warn("`loftq_config` specified but will be ignored when `init_lora_weights` is not 'loftq'.");
            loftqConfig = new LinkedHashMap<>();
        }
        if (evaConfig != null) {
            LOG.warn("`eva_config` specified but will be ignored when `init_lora_weights` is not 'eva'.");
        }
        if (cordaConfig != null) {
            LOG.warn("`corda_config` specified but will be ignored when `init_lora_weights` is not 'corda'.");
        }
        if (loraBias) {
            if (!initLoraWeights.isBoolean()) {
                throw new PeftConfigException("The argument lora_bias=True is only supported with init_lora_weights=True"
                        + " or False, got init_lora_weights=" + initLoraWeights + " instead.");
            }
            if (useDora) {
                throw new PeftConfigException(
                        "The argument lora_bias=True is not supported for DoRA, please pass use_dora=False");
            }
        }
        rejectUnsupported("megatron_config", megatronConfig != null, "Megatron parallel layers");
        rejectUnsupported("trainable_token_indices", trainableTokenIndices != null, "trainable tokens");
        rejectUnsupported("velora_config", veloraConfig != null, "VeLoRA");
        rejectUnsupported("alora_invocation_tokens", aloraInvocationTokens != null, "activated LoRA (aLoRA)");
        rejectUnsupported("use_qalora", useQalora, "QA-LoRA (it needs a GPTQ-quantised base)");
        rejectUnsupported("monteclora_config", montecloraConfig != null, "MonteCLoRA");
        rejectUnsupported("layer_replication", layerReplication != null, "layer replication");
        rejectUnsupported("target_parameters", targetParameters instanceof Collection<?> c && !c.isEmpty()
                || targetParameters instanceof String, "targeting nn.Parameter");
        rejectUnsupported("use_bdlora", useBdlora != null, "block-diagonal LoRA");
        rejectUnsupported("arrow_config", arrowConfig != null, "Arrow routing");
        rejectUnsupported("kasa_config", kasaConfig != null, "KaSA");
        rejectUnsupported("ensure_weight_tying", ensureWeightTying, "tied embedding/lm_head adapters");
        if (useRslora && (!rankPattern().isEmpty() || !alphaPattern().isEmpty()) && initLoraWeights.mutatesBaseWeight()) {
            LOG.warn("Using Rank-Stabilized LoRA with rank_pattern/alpha_pattern and a weight-mutating initialisation"
                    + " ({}) means the trained adapter cannot be converted back to a plain LoRA", initLoraWeights);
        }
    }

    private void checkShapes() {
        if (layersToTransform != null && !(layersToTransform instanceof Number)) {
            if (!(layersToTransform instanceof Collection<?> c) || c.stream().anyMatch(o -> !(o instanceof Number))) {
                throw new PeftConfigException("layers_to_transform must be an int or a list of ints, got "
                        + layersToTransform);
            }
        }
        if (layersPattern != null && !(layersPattern instanceof String)) {
            if (!(layersPattern instanceof Collection<?> c) || c.stream().anyMatch(o -> !(o instanceof String))) {
                throw new PeftConfigException("layers_pattern must be a string or a list of strings, got " + layersPattern);
            }
        }
        for (Map.Entry<String, Integer> e : rankPattern().entrySet()) {
            if (e.getValue() == null || e.getValue() <= 0) {
                throw new PeftConfigException("rank_pattern['" + e.getKey() + "'] must be a positive rank, got "
                        + e.getValue());
            }
        }
        for (Map.Entry<String, Number> e : alphaPattern().entrySet()) {
            if (e.getValue() == null) {
                throw new PeftConfigException("alpha_pattern['" + e.getKey() + "'] must be a number");
            }
        }
    }

    private static void rejectUnsupported(String field, boolean set, String feature) {
        if (set) {
            throw new PeftConfigException(field + " is set, but peft4j does not implement " + feature
                    + "; remove the field (or set it to its default) to use this adapter with peft4j");
        }
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
    public static final class Builder extends PeftConfig.Builder<LoraConfig, Builder> {

        private Builder(LoraConfig start) {
            super(start);
        }

        /**
         * @param r the rank
         * @return this builder
         */
        public Builder r(int r) {
            config.r = r;
            return this;
        }

        /**
         * @param names module names or name suffixes (PEFT's list form); a single
         *     {@code "all-linear"} means {@link TargetModules#allLinear()}, as no module can have that name
         * @return this builder
         */
        public Builder targetModules(String... names) {
            if (names.length == 1 && TargetModules.ALL_LINEAR.equalsIgnoreCase(names[0])) {
                return targetModules(TargetModules.allLinear());
            }
            return targetModules(TargetModules.names(dedupe(Arrays.asList(names))));
        }

        /**
         * @param targets a regex, names or {@link TargetModules#allLinear()}; {@code null} for the
         *     per-architecture default
         * @return this builder
         */
        public Builder targetModules(TargetModules targets) {
            config.targetModules = targets != null && targets.isNames()
                    ? TargetModules.names(dedupe(targets.names()))
                    : targets;
            return this;
        }

        /**
         * @param exclude modules never adapted (regex or names)
         * @return this builder
         */
        public Builder excludeModules(TargetModules exclude) {
            config.excludeModules = exclude;
            return this;
        }

        /**
         * @param names module names never adapted
         * @return this builder
         */
        public Builder excludeModules(String... names) {
            return excludeModules(TargetModules.names(dedupe(Arrays.asList(names))));
        }

        /**
         * @param alpha the scaling numerator
         * @return this builder
         */
        public Builder loraAlpha(int alpha) {
            config.loraAlpha = alpha;
            return this;
        }

        /**
         * @param alpha the scaling numerator (written as a float)
         * @return this builder
         */
        public Builder loraAlpha(double alpha) {
            config.loraAlpha = alpha;
            return this;
        }

        /**
         * @param p dropout probability on the LoRA input path
         * @return this builder
         */
        public Builder loraDropout(double p) {
            config.loraDropout = p;
            return this;
        }

        /**
         * @param value whether weights are stored [in, out] (GPT-2 Conv1D); the layer's layout wins
         * @return this builder
         */
        public Builder fanInFanOut(boolean value) {
            config.fanInFanOut = value;
            return this;
        }

        /**
         * @param bias which biases train with the adapter
         * @return this builder
         */
        public Builder bias(Bias bias) {
            config.bias = bias;
            return this;
        }

        /**
         * @param value scaling alpha/sqrt(r) (rank-stabilised LoRA)
         * @return this builder
         */
        public Builder useRslora(boolean value) {
            config.useRslora = value;
            return this;
        }

        /**
         * @param value DoRA: magnitude and direction decomposition
         * @return this builder
         */
        public Builder useDora(boolean value) {
            config.useDora = value;
            return this;
        }

        /**
         * @param names modules trained in full and saved with the adapter (e.g. a classifier head)
         * @return this builder
         */
        public Builder modulesToSave(String... names) {
            config.modulesToSave = names == null ? null : List.copyOf(Arrays.asList(names));
            return this;
        }

        /**
         * @param init PEFT's {@code init_lora_weights}
         * @return this builder
         */
        public Builder initLoraWeights(InitLoraWeights init) {
            config.initLoraWeights = init;
            return this;
        }

        /**
         * @param init {@code true} (no-op start) or {@code false} (random A and B)
         * @return this builder
         */
        public Builder initLoraWeights(boolean init) {
            return initLoraWeights(InitLoraWeights.of(init));
        }

        /**
         * @param init {@code "gaussian"}, {@code "pissa"}, {@code "pissa_niter_N"} or {@code "olora"}
         * @return this builder
         */
        public Builder initLoraWeights(String init) {
            return initLoraWeights(InitLoraWeights.of(init));
        }

        /**
         * @param layers indices of the layers to adapt (with a list of target names)
         * @return this builder
         */
        public Builder layersToTransform(int... layers) {
            config.layersToTransform = layers == null ? null : Arrays.stream(layers).boxed().toList();
            return this;
        }

        /**
         * @param patterns names of the layer list, e.g. {@code layers} or {@code h}
         * @return this builder
         */
        public Builder layersPattern(String... patterns) {
            config.layersPattern = patterns == null ? null : List.of(patterns);
            return this;
        }

        /**
         * @param pattern module pattern (a name suffix or a regex) to rank, first match wins
         * @return this builder
         */
        public Builder rankPattern(Map<String, Integer> pattern) {
            config.rankPattern = new LinkedHashMap<>(pattern);
            return this;
        }

        /**
         * @param pattern module pattern to alpha, first match wins
         * @return this builder
         */
        public Builder alphaPattern(Map<String, ? extends Number> pattern) {
            config.alphaPattern = new LinkedHashMap<>(pattern);
            return this;
        }

        /**
         * @param value a trainable bias on lora_B (zero at start)
         * @return this builder
         */
        public Builder loraBias(boolean value) {
            config.loraBias = value;
            return this;
        }

        private static List<String> dedupe(List<String> names) {
            // PEFT stores target names in a set
            return List.copyOf(new LinkedHashSet<>(names));
        }
    }
}
