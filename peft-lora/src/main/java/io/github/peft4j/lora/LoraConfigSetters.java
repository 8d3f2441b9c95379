package io.github.peft4j.lora;

import io.github.peft4j.core.PeftConfig;
import io.github.peft4j.core.targeting.TargetModules;
import io.github.peft4j.lora.init.InitLoraWeights;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * The setters of {@link LoraConfig.Builder}, one per PEFT field (Java names: {@code loraAlpha} for
 * {@code lora_alpha}); kept apart so the config file holds the fields and their meaning.
 *
 * <pre>{@code
 * LoraConfig config = LoraConfig.builder().r(16).loraAlpha(32).targetModules("q_proj", "v_proj").build();
 * }</pre>
 *
 * @param <B> the concrete builder
 */
public abstract class LoraConfigSetters<B extends LoraConfigSetters<B>> extends PeftConfig.Builder<LoraConfig, B> {

    LoraConfigSetters(LoraConfig start) {
        super(start);
    }

    /**
     * @param r the rank
     * @return this builder
     */
    public B r(int r) {
        config.r = r;
        return self();
    }

    /**
     * @param names module names or name suffixes (PEFT's list form); a single
     *     {@code "all-linear"} means {@link TargetModules#allLinear()}, as no module can have that name
     * @return this builder
     */
    public B targetModules(String... names) {
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
    public B targetModules(TargetModules targets) {
        config.targetModules = targets != null && targets.isNames()
                ? TargetModules.names(dedupe(targets.names()))
                : targets;
        return self();
    }

    /**
     * @param exclude modules never adapted (regex or names)
     * @return this builder
     */
    public B excludeModules(TargetModules exclude) {
        config.excludeModules = exclude;
        return self();
    }

    /**
     * @param names module names never adapted
     * @return this builder
     */
    public B excludeModules(String... names) {
        return excludeModules(TargetModules.names(dedupe(Arrays.asList(names))));
    }

    /**
     * @param alpha the scaling numerator
     * @return this builder
     */
    public B loraAlpha(int alpha) {
        config.loraAlpha = alpha;
        return self();
    }

    /**
     * @param alpha the scaling numerator (written as a float)
     * @return this builder
     */
    public B loraAlpha(double alpha) {
        config.loraAlpha = alpha;
        return self();
    }

    /**
     * @param p dropout probability on the LoRA input path
     * @return this builder
     */
    public B loraDropout(double p) {
        config.loraDropout = p;
        return self();
    }

    /**
     * @param value whether weights are stored [in, out] (GPT-2 Conv1D); the layer's layout wins
     * @return this builder
     */
    public B fanInFanOut(boolean value) {
        config.fanInFanOut = value;
        return self();
    }

    /**
     * @param bias which biases train with the adapter
     * @return this builder
     */
    public B bias(LoraConfig.Bias bias) {
        config.bias = bias;
        return self();
    }

    /**
     * @param value scaling alpha/sqrt(r) (rank-stabilised LoRA)
     * @return this builder
     */
    public B useRslora(boolean value) {
        config.useRslora = value;
        return self();
    }

    /**
     * @param value DoRA: magnitude and direction decomposition
     * @return this builder
     */
    public B useDora(boolean value) {
        config.useDora = value;
        return self();
    }

    /**
     * @param names modules trained in full and saved with the adapter (e.g. a classifier head)
     * @return this builder
     */
    public B modulesToSave(String... names) {
        config.modulesToSave = names == null ? null : List.copyOf(Arrays.asList(names));
        return self();
    }

    /**
     * @param init PEFT's {@code init_lora_weights}
     * @return this builder
     */
    public B initLoraWeights(InitLoraWeights init) {
        config.initLoraWeights = init;
        return self();
    }

    /**
     * @param init {@code true} (no-op start) or {@code false} (random A and B)
     * @return this builder
     */
    public B initLoraWeights(boolean init) {
        return initLoraWeights(InitLoraWeights.of(init));
    }

    /**
     * @param init {@code "gaussian"}, {@code "pissa"}, {@code "pissa_niter_N"} or {@code "olora"}
     * @return this builder
     */
    public B initLoraWeights(String init) {
        return initLoraWeights(InitLoraWeights.of(init));
    }

    /**
     * @param layers indices of the layers to adapt (with a list of target names)
     * @return this builder
     */
    public B layersToTransform(int... layers) {
        config.layersToTransform = layers == null ? null : Arrays.stream(layers).boxed().toList();
        return self();
    }

    /**
     * @param patterns names of the layer list, e.g. {@code layers} or {@code h}
     * @return this builder
     */
    public B layersPattern(String... patterns) {
        config.layersPattern = patterns == null ? null : List.of(patterns);
        return self();
    }

    /**
     * @param pattern module pattern (a name suffix or a regex) to rank, first match wins
     * @return this builder
     */
    public B rankPattern(Map<String, Integer> pattern) {
        config.rankPattern = new LinkedHashMap<>(pattern);
        return self();
    }

    /**
     * @param pattern module pattern to alpha, first match wins
     * @return this builder
     */
    public B alphaPattern(Map<String, ? extends Number> pattern) {
        config.alphaPattern = new LinkedHashMap<>(pattern);
        return self();
    }

    /**
     * @param value a trainable bias on lora_B (zero at start)
     * @return this builder
     */
    public B loraBias(boolean value) {
        config.loraBias = value;
        return self();
    }

    private static List<String> dedupe(List<String> names) {
        // PEFT stores target names in a set
        return List.copyOf(new LinkedHashSet<>(names));
    }
}
