package io.github.peft4j.models.config;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The {@code model_type}s built on Llama's decoder, with the defaults of their transformers config
 * classes and what sets each apart: Qwen2's q/k/v biases, Qwen3's and Gemma 3's per-head q/k norms,
 * Phi-3's fused projections, Gemma's (1 + w) norms, scaled embeddings and extra norms around the
 * feed-forward block.
 */
enum LlamaFamily {
    LLAMA("llama", "LlamaForCausalLM", 32000, 4096, 11008, 32, 32, 0, 2048, 1e-6, false, 1, 2, "hidden_act", "silu"),
    MISTRAL("mistral", "MistralForCausalLM", 32000, 4096, 14336, 32, 32, 8, 4096 * 32, 1e-6, false, 1, 2, "hidden_act",
            "silu"),
    QWEN2("qwen2", "Qwen2ForCausalLM", 151936, 4096, 22016, 32, 32, 0, 32768, 1e-6, false, null, null, "hidden_act",
            "silu"),
    QWEN3("qwen3", "Qwen3ForCausalLM", 151936, 4096, 22016, 32, 32, 0, 32768, 1e-6, false, null, null, "hidden_act",
            "silu"),
    PHI3("phi3", "Phi3ForCausalLM", 32064, 3072, 8192, 32, 32, 0, 4096, 1e-5, false, 1, 32000, "hidden_act", "silu"),
    GEMMA2("gemma2", "Gemma2ForCausalLM", 256000, 2304, 9216, 26, 8, 4, 8192, 1e-6, true, 2, 1, "hidden_activation",
            "gelu_pytorch_tanh"),
    GEMMA3("gemma3_text", "Gemma3ForCausalLM", 262208, 2304, 9216, 26, 8, 4, 131072, 1e-6, true, 2, 1,
            "hidden_activation", "gelu_pytorch_tanh");

    private static final Map<String, LlamaFamily> BY_TYPE = Arrays.stream(values())
            .collect(Collectors.toUnmodifiableMap(f -> f.modelType, Function.identity()));

    final String modelType;
    final String architecture;
    final int vocabSize;
    final int hiddenSize;
    final int intermediateSize;
    final int numLayers;
    final int numHeads;
    /** 0: as many as the query heads. */
    final int numKvHeads;
    final int maxPositions;
    final double rmsNormEps;
    final boolean tieWordEmbeddings;
    final Integer bos;
    final Integer eos;
    final String activationKey;
    final String activation;

    LlamaFamily(String modelType, String architecture, int vocabSize, int hiddenSize, int intermediateSize,
            int numLayers, int numHeads, int numKvHeads, int maxPositions, double rmsNormEps, boolean tieWordEmbeddings,
            Integer bos, Integer eos, String activationKey, String activation) {
        this.modelType = modelType;
        this.architecture = architecture;
        this.vocabSize = vocabSize;
        this.hiddenSize = hiddenSize;
        this.intermediateSize = intermediateSize;
        this.numLayers = numLayers;
        this.numHeads = numHeads;
        this.numKvHeads = numKvHeads;
        this.maxPositions = maxPositions;
        this.rmsNormEps = rmsNormEps;
        this.tieWordEmbeddings = tieWordEmbeddings;
        this.bos = bos;
        this.eos = eos;
        this.activationKey = activationKey;
        this.activation = activation;
    }

    /** @return the family of a {@code model_type}, or {@code null} */
    static LlamaFamily of(String modelType) {
        return BY_TYPE.get(modelType);
    }

    /** @return the {@code model_type}s, in declaration order */
    static List<String> modelTypes() {
        return Arrays.stream(values()).map(f -> f.modelType).toList();
    }

    boolean isGemma() {
        return this == GEMMA2 || this == GEMMA3;
    }

    /** @return whether q/k projections are normalised per head (Qwen3, Gemma 3) */
    boolean qkNorm() {
        return this == QWEN3 || this == GEMMA3;
    }

    /** @return {@code head_dim} when the config omits it, or 0 for hidden / heads */
    int defaultHeadDim() {
        return this == QWEN3 ? 128 : isGemma() ? 256 : 0;
    }

    /** @return {@code rope_theta} when the config omits it */
    double defaultRopeTheta() {
        return this == GEMMA3 ? 1_000_000.0 : 10000.0;
    }

    /** @return transformers' {@code attribute_map} keys of this family's builder */
    AttributeKeys keys() {
        return isGemma() ? AttributeKeys.GEMMA : AttributeKeys.STANDARD;
    }
}
