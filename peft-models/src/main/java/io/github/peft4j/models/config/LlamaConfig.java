package io.github.peft4j.models.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.peft4j.core.PeftFormatException;
import java.nio.file.Path;
import java.util.Set;

/**
 * Configuration of the Llama family: Llama 2/3 ({@code llama}, also SmolLM and TinyLlama),
 * Mistral ({@code mistral}), Qwen2 ({@code qwen2}, biases on q/k/v), Qwen3 ({@code qwen3}, q/k
 * norms), Phi-3 ({@code phi3}, fused {@code qkv_proj} and {@code gate_up_proj}), Gemma 2
 * ({@code gemma2}) and Gemma 3 text ({@code gemma3_text}). Defaults are those of the matching
 * transformers config class.
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
    public static final Set<String> MODEL_TYPES = Set.copyOf(LlamaFamily.modelTypes());
    /** transformers' multimodal Gemma 3 class, whose text model this class also reads. */
    public static final String GEMMA3_MULTIMODAL = "Gemma3ForConditionalGeneration";

    private final LlamaFamily family;
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
    private final boolean[] slidingLayers;
    private final double partialRotaryFactor;
    private final GemmaFields gemma;
    private final double residDropout;
    private final double embdDropout;
    private final ObjectNode multimodal;

    LlamaConfig(ObjectNode json, Path source) {
        this(json, source, null);
    }

    private LlamaConfig(ObjectNode json, Path source, ObjectNode multimodal) {
        super(json, source, defaults(json).bos, defaults(json).eos, LlamaConfig::readCommon);
        this.multimodal = multimodal == null ? null : multimodal.deepCopy();
        JsonFields f = fields();
        family = LlamaFamily.of(modelType());
        int numHeads = numAttentionHeads();
        numKvHeads = f.requiredPositiveInt("num_key_value_heads", family.numKvHeads == 0 ? numHeads : family.numKvHeads);
        if (numHeads % numKvHeads != 0) {
            throw f.invalid("num_key_value_heads", "num_attention_heads (" + numHeads
                    + ") must be a multiple of num_key_value_heads (" + numKvHeads + ")");
        }
        int defaultHeadDim = family.defaultHeadDim();
        if (!f.has("head_dim") && defaultHeadDim == 0 && hiddenSize() % numHeads != 0) {
            throw f.invalid("num_attention_heads", "hidden_size (" + hiddenSize()
                    + ") must be a multiple of num_attention_heads (" + numHeads + ")");
        }
        headDim = f.requiredPositiveInt("head_dim", defaultHeadDim > 0 ? defaultHeadDim : Math.max(1, hiddenSize() / numHeads));
        partialRotaryFactor = f.doubleValue("partial_rotary_factor", 1.0);
        int rotaryDim = rotaryDim();
        if (rotaryDim % 2 != 0 || rotaryDim <= 0 || rotaryDim > headDim) {
            throw f.invalid(partialRotaryFactor == 1.0 ? "head_dim" : "partial_rotary_factor",
                    "rotary embeddings need an even rotary size within the head, found " + rotaryDim);
        }
        rmsNormEps = f.doubleValue("rms_norm_eps", family.rmsNormEps);
        ropeTheta = f.doubleValue("rope_theta", family.defaultRopeTheta());
        ropeScaling = RopeScaling.parse(f, family == LlamaFamily.PHI3, maxPositionEmbeddings(), rotaryDim);
        boolean attentionBias = f.boolValue("attention_bias", false);
        boolean qwen2 = family == LlamaFamily.QWEN2;
        qkvBias = qwen2 || attentionBias;
        oProjBias = !qwen2 && attentionBias;
        mlpBias = f.boolValue("mlp_bias", false);
        attentionDropout = f.doubleValue("attention_dropout", 0.0);
        residDropout = f.doubleValue("resid_pdrop", 0.0);
        embdDropout = f.doubleValue("embd_pdrop", 0.0);
        slidingWindow = SlidingLayers.window(family, f);
        slidingLayers = SlidingLayers.of(family, f, numLayers());
        gemma = family.isGemma() ? GemmaFields.read(family, f) : null;
    }

    /**
     * The text model of a {@code Gemma3ForConditionalGeneration} config: {@code text_config} with Gemma 3
     * text's defaults for what it leaves out (all of them when it is absent), and the top-level
     * {@code bos/eos/pad_token_id} where {@code text_config} has none.
     */
    static LlamaConfig gemma3Multimodal(ObjectNode outer, Path source) {
        JsonNode text = outer.get("text_config");
        if (text != null && !text.isNull() && !text.isObject()) {
            throw new PeftFormatException(source, "text_config", "expected an object but found " + text);
        }
        ObjectNode t = text == null || text.isNull() ? newJson("gemma3_text") : ((ObjectNode) text).deepCopy();
        t.put("model_type", "gemma3_text");
        for (String key : new String[] {"bos_token_id", "eos_token_id", "pad_token_id"}) {
            if (!t.has(key) && outer.has(key)) {
                t.set(key, outer.get(key).deepCopy());
            }
        }
        return new LlamaConfig(t, source, outer);
    }

    private static CommonFields readCommon(JsonFields f) {
        String type = f.modelType();
        LlamaFamily family = LlamaFamily.of(type);
        if (family == null) {
            throw f.invalid("model_type", "LlamaConfig reads " + LlamaFamily.modelTypes() + ", not '" + type + "'");
        }
        int vocabSize = f.requiredPositiveInt("vocab_size", family.vocabSize);
        int hiddenSize = f.requiredPositiveInt("hidden_size", family.hiddenSize);
        int intermediateSize = f.requiredPositiveInt("intermediate_size", family.intermediateSize);
        int numLayers = f.requiredPositiveInt("num_hidden_layers", family.numLayers);
        int numHeads = f.requiredPositiveInt("num_attention_heads", family.numHeads);
        int maxPositions = f.requiredPositiveInt("max_position_embeddings", family.maxPositions);
        String hiddenAct = f.string(family.activationKey, family.activation);
        double initializerRange = f.doubleValue("initializer_range", 0.02);
        boolean tieWordEmbeddings = f.boolValue("tie_word_embeddings", family.tieWordEmbeddings);
        return new CommonFields(vocabSize, hiddenSize, numLayers, numHeads, intermediateSize, maxPositions, hiddenAct,
                initializerRange, tieWordEmbeddings);
    }

    private static LlamaFamily defaults(ObjectNode json) {
        LlamaFamily family = LlamaFamily.of(json.path("model_type").asText());
        return family == null ? LlamaFamily.LLAMA : family;
    }

    /** @return a builder with transformers' {@code LlamaConfig} defaults (a 7B-sized model) */
    public static Builder builder() {
        return builder("llama");
    }

    /**
     * @param modelType one of {@link #MODEL_TYPES}
     * @return a builder with that type's transformers defaults
     */
    public static Builder builder(String modelType) {
        LlamaFamily family = LlamaFamily.of(modelType);
        return new Builder(newJson(modelType), family == null ? AttributeKeys.STANDARD : family.keys());
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
     * @param modelType one of {@link #MODEL_TYPES}
     * @return {@link #tiny()} of that type (head size 16 for the types whose default is larger)
     */
    public static Builder tiny(String modelType) {
        Builder b = builder(modelType).vocabSize(128).hiddenSize(64).intermediateSize(128).numLayers(2)
                .numAttentionHeads(4).numKeyValueHeads(2).maxPositionEmbeddings(256)
                .tieWordEmbeddings(false).rmsNormEps(1e-6).ropeTheta(10000.0);
        return LlamaFamily.of(modelType).defaultHeadDim() > 0 ? b.headDim(16) : b;
    }

    /** @return a builder of this configuration; for a multimodal Gemma 3 one, of its text model ({@code gemma3_text}) */
    @Override
    public Builder toBuilder() {
        return new Builder(jsonCopy(), family.keys());
    }

    /** @return the configuration as read; a multimodal Gemma 3 one as its whole file ({@code text_config} nested) */
    @Override
    public ObjectNode toJson() {
        if (multimodal == null) {
            return super.toJson();
        }
        ObjectNode out = multimodal.deepCopy();
        out.putArray("architectures").add(GEMMA3_MULTIMODAL);
        return out;
    }

    @Override
    public String architecture() {
        return multimodal != null ? GEMMA3_MULTIMODAL : family.architecture;
    }

    /**
     * @return whether this is the text model of a multimodal Gemma 3 checkpoint
     *     ({@code Gemma3ForConditionalGeneration}, {@code model_type} {@code gemma3}); the model then keeps
     *     that class's module paths ({@code model.language_model.*}) and skips the vision tower
     */
    public boolean isGemma3Multimodal() {
        return multimodal != null;
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

    /**
     * @return the attention window of the sliding layers ({@code sliding_window}; for Qwen2/3 only with
     *     {@code use_sliding_window}), or {@code null} for full attention everywhere
     */
    public Integer slidingWindow() {
        return slidingWindow;
    }

    /**
     * The window of one layer, as transformers' {@code layer_types} assigns them: every layer for
     * Mistral and Phi-3, layers from {@code max_window_layers} on for Qwen2/3, every other layer
     * (starting with the first) for Gemma 2, five of every six for Gemma 3.
     *
     * @param layer a layer index
     * @return its window, or {@code null} for full attention
     */
    public Integer slidingWindow(int layer) {
        return slidingLayers[layer] ? slidingWindow : null;
    }

    /** @return whether q and k are RMS-normalised per head before RoPE ({@code q_norm}, {@code k_norm}: Qwen3, Gemma 3) */
    public boolean qkNorm() {
        return family.qkNorm();
    }

    /** @return whether q/k/v and gate/up are fused projections ({@code qkv_proj}, {@code gate_up_proj}: Phi-3) */
    public boolean fusedProjections() {
        return family == LlamaFamily.PHI3;
    }

    /** @return {@code partial_rotary_factor}: the share of each head that RoPE rotates */
    public double partialRotaryFactor() {
        return partialRotaryFactor;
    }

    /** @return the number of leading channels of a head that RoPE rotates */
    public int rotaryDim() {
        return (int) (headDim * partialRotaryFactor);
    }

    /** @return Phi-3's {@code resid_pdrop}, applied to attention and MLP outputs while training */
    public double residDropout() {
        return residDropout;
    }

    /** @return Phi-3's {@code embd_pdrop}, applied to the embeddings while training */
    public double embdDropout() {
        return embdDropout;
    }

    /**
     * @return Gemma's settings: (1 + w) norms, scaled embeddings, norms around the feed-forward block,
     *     {@code query_pre_attn_scalar}, soft-capping, the local RoPE base; empty for other types
     */
    public java.util.Optional<GemmaFields> gemma() {
        return java.util.Optional.ofNullable(gemma);
    }

    /** @return the attention score scale: {@code query_pre_attn_scalar^-0.5} for Gemma, else {@code head_dim^-0.5} */
    public double attentionScale() {
        return Math.pow(gemma == null ? headDim : gemma.queryPreAttnScalar(), -0.5);
    }

    /** Builder of {@link LlamaConfig}; every setter writes the transformers key. */
    public static final class Builder extends ModelConfig.Builder<LlamaConfig, Builder> {

        Builder(ObjectNode json, AttributeKeys keys) {
            super(json, keys);
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

        /**
         * @param v {@code rope_scaling}; {@link RopeScaling#NONE} removes it. Longrope also writes the
         *     top-level {@code original_max_position_embeddings}, where Phi-3 keeps it.
         * @return this builder
         */
        public Builder ropeScaling(RopeScaling v) {
            if (v != null && v.type().equals("longrope")) {
                put("original_max_position_embeddings", v.originalMaxPositionEmbeddings());
            }
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

        /** @param v {@code sliding_window}; {@code null} writes JSON null (no window) @return this builder */
        public Builder slidingWindow(Integer v) {
            return putOrNull("sliding_window", v);
        }

        /**
         * @param types transformers' {@code layer_types}, one of {@code sliding_attention} or
         *     {@code full_attention} per layer
         * @return this builder
         */
        public Builder layerTypes(String... types) {
            com.fasterxml.jackson.databind.node.ArrayNode array = json.arrayNode();
            for (String t : types) {
                array.add(t);
            }
            return set("layer_types", array);
        }

        /** @param v Gemma 2's {@code attn_logit_softcapping}, {@code null} for none @return this builder */
        public Builder attnLogitSoftcapping(Double v) {
            return putOrNull("attn_logit_softcapping", v);
        }

        /** @param v Gemma's {@code final_logit_softcapping}, {@code null} for none @return this builder */
        public Builder finalLogitSoftcapping(Double v) {
            return putOrNull("final_logit_softcapping", v);
        }

        /** Writes JSON {@code null} for {@code null}: "none", where a missing key means the type's default. */
        private Builder putOrNull(String key, Object v) {
            return v == null ? set(key, com.fasterxml.jackson.databind.node.NullNode.getInstance()) : put(key, v);
        }

        @Override
        public LlamaConfig build() {
            return new LlamaConfig(json.deepCopy(), null);
        }
    }
}
