package io.github.peft4j.models.config;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.Set;

/**
 * Configuration of the Llama family: Llama 2/3 ({@code llama}, also SmolLM and TinyLlama),
 * Mistral ({@code mistral}) and Qwen2 ({@code qwen2}, biases on q/k/v). Defaults are those of the
 * matching transformers config class.
 *
 * <pre>{@code
 * LlamaConfig config = LlamaConfig.tiny()          // 2 layers, hidden 64, 4 heads, 2 KV heads
 *         .ropeTheta(500_000)
 *         .tieWordEmbeddings(true)
 *         .build();
 * LlamaConfig qwen = LlamaConfig.builder("qwen2").hiddenSize(32).numAttentionHeads(4).build();
 * }</pre>
 */
public final class LlamaConfig extends ModelConfig {

    /** The {@code model_type} values this class reads. */
    public static final Set<String> MODEL_TYPES = Set.of("llama", "mistral", "qwen2");

    private final int numKvHeads;
    private final int headDim;
    private final double rmsNormEps;
    private final double ropeTheta;
    private final RopeScaling ropeScaling;
    private final boolean qkvBias;
    private final boolean oProjBias;
    private final boolean mlpBias;
    private final double attentionDropout;
    private final Integer slidingWindow;

    LlamaConfig(ObjectNode json, Path source) {
        super(json, source, defaultBos(json), defaultEos(json), LlamaConfig::readCommon);
        JsonFields f = fields();
        boolean mistral = modelType().equals("mistral");
        boolean qwen2 = modelType().equals("qwen2");
        int numHeads = numAttentionHeads();
        numKvHeads = f.requiredPositiveInt("num_key_value_heads", mistral ? 8 : numHeads);
        if (numHeads % numKvHeads != 0) {
            throw f.invalid("num_key_value_heads", "num_attention_heads (" + numHeads
                    + ") must be a multiple of num_key_value_heads (" + numKvHeads + ")");
        }
        if (!f.has("head_dim") && hiddenSize() % numHeads != 0) {
            throw f.invalid("num_attention_heads", "hidden_size (" + hiddenSize()
                    + ") must be a multiple of num_attention_heads (" + numHeads + ")");
        }
        headDim = f.requiredPositiveInt("head_dim", Math.max(1, hiddenSize() / numHeads));
        if (headDim % 2 != 0) {
            throw f.invalid("head_dim", "rotary embeddings need an even head size, found " + headDim);
        }
        rmsNormEps = f.doubleValue("rms_norm_eps", 1e-6);
        ropeTheta = f.doubleValue("rope_theta", 10000.0);
        ropeScaling = RopeScaling.parse(f);
        boolean attentionBias = f.boolValue("attention_bias", false);
        qkvBias = qwen2 || attentionBias;
        oProjBias = !qwen2 && attentionBias;
        mlpBias = f.boolValue("mlp_bias", false);
        attentionDropout = f.doubleValue("attention_dropout", 0.0);
        // Mistral slides its window over every layer; Qwen2 only when use_sliding_window, which
        // peft4j does not implement (LlamaModel warns).
        slidingWindow = mistral ? f.intOrNull("sliding_window") : null;
    }

    private static CommonFields readCommon(JsonFields f) {
        String type = f.modelType();
        if (!MODEL_TYPES.contains(type)) {
            throw f.invalid("model_type", "LlamaConfig reads " + MODEL_TYPES + ", not '" + type + "'");
        }
        boolean mistral = type.equals("mistral");
        boolean qwen2 = type.equals("qwen2");
        int vocabSize = f.requiredPositiveInt("vocab_size", qwen2 ? 151936 : 32000);
        int hiddenSize = f.requiredPositiveInt("hidden_size", 4096);
        int intermediateSize = f.requiredPositiveInt("intermediate_size", mistral ? 14336 : qwen2 ? 22016 : 11008);
        int numLayers = f.requiredPositiveInt("num_hidden_layers", 32);
        int numHeads = f.requiredPositiveInt("num_attention_heads", 32);
        int maxPositions = f.requiredPositiveInt("max_position_embeddings", mistral ? 4096 * 32 : qwen2 ? 32768 : 2048);
        String hiddenAct = f.string("hidden_act", "silu");
        double initializerRange = f.doubleValue("initializer_range", 0.02);
        boolean tieWordEmbeddings = f.boolValue("tie_word_embeddings", false);
        return new CommonFields(vocabSize, hiddenSize, numLayers, numHeads, intermediateSize, maxPositions, hiddenAct,
                initializerRange, tieWordEmbeddings);
    }

    private static Integer defaultBos(ObjectNode json) {
        return json.path("model_type").asText().equals("qwen2") ? null : 1;
    }

    private static Integer defaultEos(ObjectNode json) {
        return json.path("model_type").asText().equals("qwen2") ? null : 2;
    }

    /** @return a builder with transformers' {@code LlamaConfig} defaults (a 7B-sized model) */
    public static Builder builder() {
        return builder("llama");
    }

    /**
     * @param modelType {@code llama}, {@code mistral} or {@code qwen2}
     * @return a builder with that type's transformers defaults
     */
    public static Builder builder(String modelType) {
        return new Builder(newJson(modelType));
    }

    /**
     * A small model for tests and examples: vocab 128, hidden 64, 2 layers, 4 query heads over 2
     * key/value heads (GQA), intermediate 128, 256 positions, untied head.
     *
     * @return a builder preset to that size
     */
    public static Builder tiny() {
        return tiny("llama");
    }

    /**
     * @param modelType {@code llama}, {@code mistral} or {@code qwen2}
     * @return {@link #tiny()} of that type
     */
    public static Builder tiny(String modelType) {
        return builder(modelType).vocabSize(128).hiddenSize(64).intermediateSize(128).numLayers(2)
                .numAttentionHeads(4).numKeyValueHeads(2).maxPositionEmbeddings(256)
                .tieWordEmbeddings(false).rmsNormEps(1e-6).ropeTheta(10000.0);
    }

    @Override
    public Builder toBuilder() {
        return new Builder(jsonCopy());
    }

    @Override
    public String architecture() {
        switch (modelType()) {
            case "mistral":
                return "MistralForCausalLM";
            case "qwen2":
                return "Qwen2ForCausalLM";
            default:
                return "LlamaForCausalLM";
        }
    }

    @Override
    public boolean isCausalLm() {
        return true;
    }

    @Override
    public int numKeyValueHeads() {
        return numKvHeads;
    }

    @Override
    public int headDim() {
        return headDim;
    }

    /** @return {@code rms_norm_eps} */
    public double rmsNormEps() {
        return rmsNormEps;
    }

    /** @return {@code rope_theta} */
    public double ropeTheta() {
        return ropeTheta;
    }

    /** @return {@code rope_scaling}, {@link RopeScaling#NONE} when absent */
    public RopeScaling ropeScaling() {
        return ropeScaling;
    }

    /** @return whether q/k/v projections have biases (Qwen2, or Llama's {@code attention_bias}) */
    public boolean qkvBias() {
        return qkvBias;
    }

    /** @return whether the output projection has a bias (Llama's {@code attention_bias}) */
    public boolean oProjBias() {
        return oProjBias;
    }

    /** @return {@code mlp_bias} */
    public boolean mlpBias() {
        return mlpBias;
    }

    /** @return {@code attention_dropout} */
    public double attentionDropout() {
        return attentionDropout;
    }

    /** @return Mistral's {@code sliding_window}, or {@code null} for full attention */
    public Integer slidingWindow() {
        return slidingWindow;
    }

    /** @return whether a Qwen2 config asks for sliding-window attention, which peft4j ignores */
    public boolean requestsUnsupportedSlidingWindow() {
        return modelType().equals("qwen2") && fields().boolValue("use_sliding_window", false);
    }

    /** Builder of {@link LlamaConfig}; every setter writes the transformers key. */
    public static final class Builder extends ModelConfig.Builder<LlamaConfig, Builder> {

        Builder(ObjectNode json) {
            super(json);
        }

        /** @param v {@code num_key_value_heads} @return this builder */
        public Builder numKeyValueHeads(int v) {
            return put("num_key_value_heads", v);
        }

        /** @param v {@code head_dim} (defaults to hidden / heads) @return this builder */
        public Builder headDim(int v) {
            return put("head_dim", v);
        }

        /** @param v {@code rms_norm_eps} @return this builder */
        public Builder rmsNormEps(double v) {
            return put("rms_norm_eps", v);
        }

        /** @param v {@code rope_theta} @return this builder */
        public Builder ropeTheta(double v) {
            return put("rope_theta", v);
        }

        /** @param v {@code rope_scaling}; {@link RopeScaling#NONE} removes it @return this builder */
        public Builder ropeScaling(RopeScaling v) {
            return set("rope_scaling", v == null || v.equals(RopeScaling.NONE) ? null : v.toJson());
        }

        /** @param v Llama's {@code attention_bias} (biases on q, k, v and o) @return this builder */
        public Builder attentionBias(boolean v) {
            return put("attention_bias", v);
        }

        /** @param v {@code mlp_bias} @return this builder */
        public Builder mlpBias(boolean v) {
            return put("mlp_bias", v);
        }

        /** @param v {@code attention_dropout} @return this builder */
        public Builder attentionDropout(double v) {
            return put("attention_dropout", v);
        }

        /** @param v Mistral's {@code sliding_window}, {@code null} for none @return this builder */
        public Builder slidingWindow(Integer v) {
            return put("sliding_window", v);
        }

        @Override
        public LlamaConfig build() {
            return new LlamaConfig(json.deepCopy(), null);
        }
    }
}
