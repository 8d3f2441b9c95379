package io.github.peft4j.cli;

import io.github.peft4j.adapters.bottleneck.BottleneckConfig;
import io.github.peft4j.adapters.ia3.Ia3Config;
import io.github.peft4j.bitfit.BitFitConfig;
import io.github.peft4j.core.PeftConfig;
import io.github.peft4j.core.targeting.TargetModules;
import io.github.peft4j.lora.LoraConfig;
import io.github.peft4j.prefix.prefixtuning.PrefixTuningConfig;
import io.github.peft4j.prefix.prompttuning.PromptInitTokenizer;
import io.github.peft4j.prefix.prompttuning.PromptTuningConfig;
import io.github.peft4j.prefix.prompttuning.PromptTuningInit;
import io.github.peft4j.prefix.ptuning.PromptEncoderConfig;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The tuning methods {@code peft4j train} knows, and the adapter config each one starts from. */
final class Methods {

    static final List<String> SUPPORTED = List.of("lora", "dora", "ia3", "bottleneck", "prefix", "prompt", "ptuning",
            "bitfit");

    /**
     * The peak learning rate {@code train} uses when {@code --lr} is not given, as {@code --help} shows
     * it (the annotation needs a constant, so this string is the table): methods that train fewer
     * parameters, further from the output, want larger steps. Each is the best of 1e-2, 3e-2 (and 1e-1
     * for the prompt methods; 3e-3, 5e-3, 1e-2 for LoRA) for 200 steps on the bundled model and data,
     * trading held-out domain loss against forgetting (docs/getting-started.md).
     */
    static final String DEFAULT_LRS = "lora/dora 5e-3, ia3 3e-2, bottleneck 1e-2, bitfit 3e-2, prefix 1e-1,"
            + " prompt 1e-1, ptuning 3e-2";

    private static final Map<String, Double> DEFAULT_LR_BY_METHOD = parseRates(DEFAULT_LRS);

    /**
     * The method options of the command line, read only by the methods they apply to.
     *
     * @param promptInit prompt tuning's init text and how to tokenise it, or {@code null} for random
     */
    record Options(int rank, double alpha, double dropout, List<String> targets, int virtualTokens,
            PromptInit promptInit) {

        /** Options without a prompt-tuning init text. */
        Options(int rank, double alpha, double dropout, List<String> targets, int virtualTokens) {
            this(rank, alpha, dropout, targets, virtualTokens, null);
        }
    }

    /**
     * PEFT's {@code prompt_tuning_init="TEXT"}: the virtual tokens start as the embeddings of a text.
     *
     * @param text {@code prompt_tuning_init_text}
     * @param tokenizerNameOrPath recorded in the adapter (PEFT needs it to load the file)
     * @param tokenizer the base model's tokenizer, to turn the text into ids here
     */
    record PromptInit(String text, String tokenizerNameOrPath, PromptInitTokenizer tokenizer) {}

    private Methods() {}

    static String require(String method) {
        String m = method.toLowerCase(Locale.ROOT);
        if (!SUPPORTED.contains(m)) {
            throw new UserError("unknown --method " + method + "; expected one of " + SUPPORTED);
        }
        return m;
    }

    static boolean isLora(String method) {
        return method.equals("lora") || method.equals("dora");
    }

    /** @return the default peak learning rate of a {@link #require}d method */
    static double defaultLearningRate(String method) {
        return DEFAULT_LR_BY_METHOD.get(require(method));
    }

    private static Map<String, Double> parseRates(String table) {
        Map<String, Double> rates = new LinkedHashMap<>();
        for (String entry : table.split(",")) {
            String[] methodsAndRate = entry.trim().split(" ");
            for (String method : methodsAndRate[0].split("/")) {
                rates.put(method, Double.parseDouble(methodsAndRate[1]));
            }
        }
        return Map.copyOf(rates);
    }

    /**
     * @param config a registered adapter's config
     * @return the method name of {@code train --method} that makes such adapters
     * @throws UserError for adapters {@code peft4j train} does not train
     */
    static String of(PeftConfig config) {
        return switch (config.peftType()) {
            case "LORA" -> ((LoraConfig) config).useDora() ? "dora" : "lora";
            case "IA3" -> "ia3";
            case "BOTTLENECK" -> "bottleneck";
            case "PREFIX_TUNING" -> "prefix";
            case "PROMPT_TUNING" -> "prompt";
            case "P_TUNING" -> "ptuning";
            case "BITFIT" -> "bitfit";
            default -> throw new UserError("--from: peft4j train does not continue " + config.peftType()
                    + " adapters; it trains " + SUPPORTED);
        };
    }

    static PeftConfig config(String method, Options o) {
        return switch (method) {
            case "lora", "dora" -> LoraConfig.builder().r(o.rank()).loraAlpha(o.alpha()).loraDropout(o.dropout())
                    .taskType("CAUSAL_LM").useDora(method.equals("dora")).targetModules(targets(o.targets())).build();
            // PEFT's defaults for the base model's architecture (llama: k_proj, v_proj, down_proj)
            case "ia3" -> Ia3Config.builder().taskType("CAUSAL_LM").build();
            case "bottleneck" -> BottleneckConfig.builder().preset(BottleneckConfig.DEFAULT_PRESET).build();
            case "prefix" -> PrefixTuningConfig.builder().numVirtualTokens(o.virtualTokens()).taskType("CAUSAL_LM")
                    .build();
            case "prompt" -> promptTuning(o);
            case "ptuning" -> PromptEncoderConfig.builder().numVirtualTokens(o.virtualTokens()).taskType("CAUSAL_LM")
                    .build();
            // Llama-family layers have no biases: give every linear layer but the head a zero one to train
            case "bitfit" -> BitFitConfig.builder().addMissingBiases(true).build();
            default -> throw new UserError("unknown --method " + method + "; expected one of " + SUPPORTED);
        };
    }

    private static PeftConfig promptTuning(Options o) {
        PromptTuningConfig.Builder b = PromptTuningConfig.builder().numVirtualTokens(o.virtualTokens())
                .taskType("CAUSAL_LM");
        if (o.promptInit() != null) {
            b.promptTuningInit(PromptTuningInit.TEXT).promptTuningInitText(o.promptInit().text())
                    .tokenizerNameOrPath(o.promptInit().tokenizerNameOrPath()).initTokenizer(o.promptInit().tokenizer());
        }
        return b.build();
    }

    private static TargetModules targets(List<String> targets) {
        return targets.size() == 1 ? TargetModules.fromString(targets.get(0))
                : TargetModules.names(targets);
    }
}
