package io.github.peft4j.adapters.bottleneck;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.github.peft4j.core.ModulesToSave;
import io.github.peft4j.core.PeftConfig;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.targeting.TargetModules;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A bottleneck adapter (AdapterHub's {@code BnConfig}): down-projection, non-linearity,
 * up-projection, scaled and added to the adapted module's output. Field names follow AdapterHub
 * in snake_case; peft4j's own {@code peft_type} is {@value #PEFT_TYPE}.
 *
 * <p>A preset ({@code config}) fills every field left unset, as AdapterHub's predefined configs:
 * <ul>
 *   <li>{@code pfeiffer} (AdapterHub {@code seq_bn}, the default): after the feed-forward output only,
 *       reduction_factor 16, relu, scaling 1;
 *   <li>{@code houlsby} ({@code double_seq_bn}): after the attention output and after the
 *       feed-forward output, reduction_factor 16, swish, scaling 1;
 *   <li>{@code parallel} ({@code par_bn}, He et al. 2021): alongside the feed-forward block,
 *       reduction_factor 2, relu, scaling 4, init {@code mam_adapter}.
 * </ul>
 * The up-projection always starts at zero, so the adapted model equals the base model at step 0.
 * {@code modules_to_save} (PEFT's field, written only when set) are trained in full by core.
 * Where adapters sit and how that matches AdapterHub's math is documented on
 * {@link BottleneckPlacement}.
 *
 * <pre>{@code
 * BottleneckConfig houlsby = BottleneckConfig.builder().preset("houlsby").reductionFactor(8).leaveOut(0).build();
 * PeftModel model = PeftModel.create(bert, houlsby);
 * }</pre>
 */
public final class BottleneckConfig extends PeftConfig implements ModulesToSave {

    /** peft4j's {@code peft_type} for bottleneck adapters. */
    public static final String PEFT_TYPE = "BOTTLENECK";

    /** The preset AdapterHub uses by default. */
    public static final String DEFAULT_PRESET = "pfeiffer";

    /** Supported {@code init_weights} values (they differ in the down-projection only). */
    public static final List<String> INIT_WEIGHTS = List.of("bert", "mam_adapter", "houlsby");

    @JsonProperty("config")
    private String preset;

    @JsonProperty("mh_adapter")
    private Boolean mhAdapter;

    @JsonProperty("output_adapter")
    private Boolean outputAdapter;

    @JsonProperty("is_parallel")
    private Boolean isParallel;

    @JsonProperty("reduction_factor")
    private Double reductionFactor;

    @JsonProperty("bottleneck_size")
    private Integer bottleneckSize;

    @JsonProperty("non_linearity")
    private String nonLinearity;

    @JsonProperty("scaling")
    private Double scaling;

    @JsonProperty("init_weights")
    private String initWeights;

    @JsonProperty("leave_out")
    private List<Integer> leaveOut;

    @JsonProperty("attention_output_modules")
    private TargetModules attentionOutputModules;

    @JsonProperty("ffn_output_modules")
    private TargetModules ffnOutputModules;

    @JsonProperty("attention_input_modules")
    private TargetModules attentionInputModules;

    @JsonProperty("ffn_input_modules")
    private TargetModules ffnInputModules;

    // written only when set, so configs saved before the field existed keep their bytes
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonProperty("modules_to_save")
    private List<String> modulesToSave;

    private BottleneckConfig() {}

    @Override
    public String peftType() {
        return PEFT_TYPE;
    }

    /** @return the preset: {@code pfeiffer}, {@code houlsby} or {@code parallel} */
    public String preset() {
        return preset;
    }

    /** @return whether an adapter follows each attention output projection */
    public boolean mhAdapter() {
        return mhAdapter;
    }

    /** @return whether an adapter follows each feed-forward output projection */
    public boolean outputAdapter() {
        return outputAdapter;
    }

    /** @return whether the adapters read the sub-block's input and run alongside it (He et al.) */
    public boolean isParallel() {
        return isParallel;
    }

    /** @return hidden size divided by bottleneck size */
    public double reductionFactor() {
        return reductionFactor;
    }

    /** @return {@code bottleneck_size} when set */
    @Override
    public Map<String, Long> declaredSizes() {
        return bottleneckSize == null ? Map.of() : Map.of("bottleneck_size", (long) bottleneckSize);
    }

    /** @return the bottleneck size, or {@code null} to derive it from {@link #reductionFactor()} */
    public Integer bottleneckSize() {
        return bottleneckSize;
    }

    /** @return the activation's name */
    public String nonLinearity() {
        return nonLinearity;
    }

    /** @return the factor on the adapter's output */
    public double scaling() {
        return scaling;
    }

    /** @return how the down-projection is initialised: bert, mam_adapter or houlsby */
    public String initWeights() {
        return initWeights;
    }

    /** @return layer indices that get no adapter */
    public List<Integer> leaveOut() {
        return leaveOut;
    }

    /** @return where attention-output adapters go, or {@code null} for the built-in patterns */
    public TargetModules attentionOutputModules() {
        return attentionOutputModules;
    }

    /** @return where feed-forward-output adapters go, or {@code null} for the built-in patterns */
    public TargetModules ffnOutputModules() {
        return ffnOutputModules;
    }

    /** @return the first module of each attention block (parallel input), or {@code null} for the built-in patterns */
    public TargetModules attentionInputModules() {
        return attentionInputModules;
    }

    /** @return the first module of each feed-forward block (parallel input), or {@code null} for the built-in patterns */
    public TargetModules ffnInputModules() {
        return ffnInputModules;
    }

    /** @return PEFT's {@code modules_to_save}: modules trained in full and saved with the adapter, or {@code null} */
    @Override
    public List<String> modulesToSave() {
        return modulesToSave;
    }

    /**
     * @param hiddenSize the adapted module's output size
     * @return {@link #bottleneckSize()} if set, else {@code max(1, floor(hidden / reduction_factor))}
     *     as AdapterHub computes it
     */
    public int bottleneckSizeFor(long hiddenSize) {
        if (bottleneckSize != null) {
            return bottleneckSize;
        }
        return (int) Math.max(1, Math.floor(hiddenSize / reductionFactor));
    }

    /**
     * Fills unset fields from the preset (AdapterHub's predefined configs) and checks the values,
     * as PEFT's {@code __post_init__} normalises a config. Idempotent.
     */
    @Override
    public void validate() {
        if (preset == null) {
            preset = DEFAULT_PRESET;
        }
        preset = preset.toLowerCase(Locale.ROOT);
        switch (preset) {
            case "pfeiffer" -> fill(false, true, false, 16, "relu", 1.0, "bert");
            case "houlsby" -> fill(true, true, false, 16, "swish", 1.0, "bert");
            case "parallel" -> fill(false, true, true, 2, "relu", 4.0, "mam_adapter");
            default -> throw new PeftConfigException(
                    "config (preset) '" + preset + "' is unknown; use pfeiffer, houlsby or parallel");
        }
        leaveOut = leaveOut == null ? List.of() : List.copyOf(leaveOut);
        if (!mhAdapter && !outputAdapter) {
            throw new PeftConfigException("mh_adapter and output_adapter are both false: the adapter would go nowhere");
        }
        if (!(reductionFactor > 0)) {
            throw new PeftConfigException("reduction_factor must be > 0, got " + reductionFactor);
        }
        if (bottleneckSize != null && bottleneckSize < 1) {
            throw new PeftConfigException("bottleneck_size must be >= 1, got " + bottleneckSize);
        }
        NonLinearity.of(nonLinearity);
        if (!INIT_WEIGHTS.contains(initWeights)) {
            throw new PeftConfigException("init_weights '" + initWeights + "' is not supported; use one of " + INIT_WEIGHTS);
        }
        if (leaveOut.stream().anyMatch(i -> i == null || i < 0)) {
            throw new PeftConfigException("leave_out must hold layer indices >= 0, got " + leaveOut);
        }
        if (!Double.isFinite(scaling)) {
            throw new PeftConfigException("scaling must be a finite number, got " + scaling);
        }
    }

    private void fill(boolean mh, boolean output, boolean parallel, double rf, String act, double scale, String init) {
        mhAdapter = mhAdapter == null ? mh : mhAdapter;
        outputAdapter = outputAdapter == null ? output : outputAdapter;
        isParallel = isParallel == null ? parallel : isParallel;
        reductionFactor = reductionFactor == null ? rf : reductionFactor;
        nonLinearity = nonLinearity == null ? act : nonLinearity.toLowerCase(Locale.ROOT);
        scaling = scaling == null ? scale : scaling;
        initWeights = initWeights == null ? init : initWeights;
    }

    /** @return a builder; unset fields come from the preset ({@value #DEFAULT_PRESET} unless set) */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds a {@link BottleneckConfig}. */
    public static final class Builder extends PeftConfig.Builder<BottleneckConfig, Builder> {

        private Builder() {
            super(new BottleneckConfig());
        }

        /**
         * @param preset {@code pfeiffer}, {@code houlsby} or {@code parallel}
         * @return this builder
         */
        public Builder preset(String preset) {
            config.preset = preset;
            return this;
        }

        /**
         * @param on whether to adapt after each attention output projection
         * @return this builder
         */
        public Builder mhAdapter(boolean on) {
            config.mhAdapter = on;
            return this;
        }

        /**
         * @param on whether to adapt after each feed-forward output projection
         * @return this builder
         */
        public Builder outputAdapter(boolean on) {
            config.outputAdapter = on;
            return this;
        }

        /**
         * @param parallel whether adapters read the sub-block input and run alongside it
         * @return this builder
         */
        public Builder isParallel(boolean parallel) {
            config.isParallel = parallel;
            return this;
        }

        /**
         * @param factor hidden size / bottleneck size
         * @return this builder
         */
        public Builder reductionFactor(double factor) {
            config.reductionFactor = factor;
            return this;
        }

        /**
         * @param size the bottleneck size, overriding the reduction factor
         * @return this builder
         */
        public Builder bottleneckSize(int size) {
            config.bottleneckSize = size;
            return this;
        }

        /**
         * @param name relu, gelu, gelu_new, swish (= silu) or tanh
         * @return this builder
         */
        public Builder nonLinearity(String name) {
            config.nonLinearity = name;
            return this;
        }

        /**
         * @param scaling the factor on the adapter's output
         * @return this builder
         */
        public Builder scaling(double scaling) {
            config.scaling = scaling;
            return this;
        }

        /**
         * @param init bert (normal, std 0.02), mam_adapter (kaiming-uniform) or houlsby (truncated normal, std 0.01)
         * @return this builder
         */
        public Builder initWeights(String init) {
            config.initWeights = init;
            return this;
        }

        /**
         * @param layers layer indices that get no adapter
         * @return this builder
         */
        public Builder leaveOut(Integer... layers) {
            config.leaveOut = List.of(layers);
            return this;
        }

        /**
         * @param modules where attention-output adapters go (names or a regex)
         * @return this builder
         */
        public Builder attentionOutputModules(TargetModules modules) {
            config.attentionOutputModules = modules;
            return this;
        }

        /**
         * @param modules where feed-forward-output adapters go
         * @return this builder
         */
        public Builder ffnOutputModules(TargetModules modules) {
            config.ffnOutputModules = modules;
            return this;
        }

        /**
         * @param modules the first module of each attention block, whose input parallel adapters read
         * @return this builder
         */
        public Builder attentionInputModules(TargetModules modules) {
            config.attentionInputModules = modules;
            return this;
        }

        /**
         * @param modules the first module of each feed-forward block, whose input parallel adapters read
         * @return this builder
         */
        public Builder ffnInputModules(TargetModules modules) {
            config.ffnInputModules = modules;
            return this;
        }

        /**
         * @param modules names of modules (a classifier, say) trained in full and saved with the adapter
         * @return this builder
         */
        public Builder modulesToSave(String... modules) {
            config.modulesToSave = List.of(modules);
            return this;
        }
    }
}
