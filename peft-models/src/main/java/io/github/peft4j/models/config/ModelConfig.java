package io.github.peft4j.models.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.peft4j.core.io.PythonJson;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * A Hugging Face model configuration ({@code config.json}) as peft4j reads it: the typed fields an
 * architecture needs, plus every other field of the file kept verbatim so that saving writes them
 * back. Immutable; change one with {@code toBuilder()}.
 *
 * <p>Sizes are named as in Hugging Face's Llama/BERT configs whatever the architecture calls them
 * ({@code n_embd} of GPT-2 is {@link #hiddenSize()}).
 *
 * <pre>{@code
 * ModelConfig config = ModelConfigs.read(Path.of("TinyLlama/config.json"));
 * int layers = config.numLayers();
 * LlamaConfig tiny = LlamaConfig.tiny().numLayers(1).build();
 * }</pre>
 */
public abstract class ModelConfig {

    private final ObjectNode json;
    private final Path source;
    private final Integer bosTokenId;
    private final List<Integer> eosTokenIds;
    private final Integer padTokenId;
    private final CommonFields common;

    /**
     * @param json the configuration as in {@code config.json}; copied
     * @param source the file it was read from, or {@code null}
     * @param defaultBos {@code bos_token_id} when absent, or {@code null}
     * @param defaultEos {@code eos_token_id} when absent, or {@code null}
     * @param readCommon checks {@code model_type} and reads the settings every architecture has,
     *     with the architecture's keys and defaults
     */
    ModelConfig(ObjectNode json, Path source, Integer defaultBos, Integer defaultEos,
            Function<JsonFields, CommonFields> readCommon) {
        this.json = json.deepCopy();
        this.source = source;
        JsonFields f = fields();
        this.bosTokenId = f.has("bos_token_id") ? Integer.valueOf(f.intValue("bos_token_id", 0)) : defaultBos;
        this.eosTokenIds = f.intList("eos_token_id", defaultEos == null ? List.of() : List.of(defaultEos));
        this.padTokenId = f.intOrNull("pad_token_id");
        this.common = readCommon.apply(f);
    }

    JsonFields fields() {
        return new JsonFields(json, source);
    }

    /** @return Hugging Face's {@code model_type} ({@code llama}, {@code mistral}, {@code qwen2}, {@code gpt2}, {@code bert}) */
    public String modelType() {
        return json.path("model_type").asText();
    }

    /** @return the Hugging Face class whose module paths the DJL block reproduces ({@code LlamaForCausalLM}) */
    public abstract String architecture();

    /** @return whether the model is a causal language model (returns logits over the vocabulary) */
    public abstract boolean isCausalLm();

    /** @return the vocabulary size */
    public final int vocabSize() {
        return common.vocabSize();
    }

    /** @return the hidden size ({@code hidden_size}, GPT-2's {@code n_embd}) */
    public final int hiddenSize() {
        return common.hiddenSize();
    }

    /** @return the number of transformer layers */
    public final int numLayers() {
        return common.numLayers();
    }

    /** @return the number of query heads */
    public final int numAttentionHeads() {
        return common.numAttentionHeads();
    }

    /** @return the number of key/value heads (grouped-query attention when fewer than the query heads) */
    public int numKeyValueHeads() {
        return numAttentionHeads();
    }

    /** @return the size of one attention head */
    public int headDim() {
        return hiddenSize() / numAttentionHeads();
    }

    /** @return the inner size of the feed-forward block */
    public final int intermediateSize() {
        return common.intermediateSize();
    }

    /** @return the longest sequence the position scheme was trained for */
    public final int maxPositionEmbeddings() {
        return common.maxPositionEmbeddings();
    }

    /** @return whether the output head shares the input embedding matrix */
    public final boolean tieWordEmbeddings() {
        return common.tieWordEmbeddings();
    }

    /** @return the standard deviation of Hugging Face's weight initialisation */
    public final double initializerRange() {
        return common.initializerRange();
    }

    /** @return the activation of the feed-forward block ({@code silu}, {@code gelu_new}, {@code gelu}) */
    public final String hiddenAct() {
        return common.hiddenAct();
    }

    /** @return {@code bos_token_id}, if any */
    public Optional<Integer> bosTokenId() {
        return Optional.ofNullable(bosTokenId);
    }

    /** @return {@code eos_token_id} (one or several), possibly empty */
    public List<Integer> eosTokenIds() {
        return eosTokenIds;
    }

    /** @return {@code pad_token_id}, if any */
    public Optional<Integer> padTokenId() {
        return Optional.ofNullable(padTokenId);
    }

    /** @return {@code _name_or_path}, if recorded */
    public Optional<String> nameOrPath() {
        JsonNode v = json.get("_name_or_path");
        return v == null || !v.isTextual() || v.textValue().isEmpty() ? Optional.empty() : Optional.of(v.textValue());
    }

    /** @return the file this configuration was read from, if any */
    public Optional<Path> source() {
        return Optional.ofNullable(source);
    }

    /**
     * @param key a {@code config.json} key
     * @return its value as written, if present (for fields peft4j does not type)
     */
    public Optional<JsonNode> get(String key) {
        return Optional.ofNullable(json.get(key)).map(JsonNode::deepCopy);
    }

    /**
     * The configuration as {@code config.json} holds it, with {@code model_type} set and
     * {@code architectures} naming the class peft4j builds (a checkpoint saved from a bare
     * {@code GPT2Model} is written back with the LM-head layout, so it says {@code GPT2LMHeadModel}).
     *
     * @return a fresh JSON tree
     */
    public ObjectNode toJson() {
        ObjectNode out = json.deepCopy();
        out.put("model_type", modelType());
        ArrayNode arch = out.putArray("architectures");
        arch.add(architecture());
        return out;
    }

    /** @return {@code config.json} text as transformers writes it ({@code indent=2, sort_keys=True}, final newline) */
    public String toJsonString() {
        return PythonJson.write(toJson()) + "\n";
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + modelType() + ", layers=" + numLayers() + ", hidden="
                + hiddenSize() + ", heads=" + numAttentionHeads() + "/" + numKeyValueHeads() + ", vocab="
                + vocabSize() + "]";
    }

    /**
     * Common builder: every setter writes the Hugging Face key, so a built config saves exactly as
     * a loaded one.
     *
     * @param <C> the config type
     * @param <B> the builder type
     */
    public abstract static class Builder<C extends ModelConfig, B extends Builder<C, B>> {

        // plain Jackson: Java numbers become the same number nodes as ObjectNode.put makes
        private static final ObjectMapper PLAIN = new ObjectMapper();

        /** The JSON being built. */
        protected final ObjectNode json;
        private final AttributeKeys keys;

        /** @param json the starting JSON; {@code model_type} must be set */
        protected Builder(ObjectNode json) {
            this(json, AttributeKeys.STANDARD);
        }

        Builder(ObjectNode json, AttributeKeys keys) {
            this.json = json;
            this.keys = keys;
        }

        /** @return this builder, typed */
        @SuppressWarnings("unchecked")
        protected final B self() {
            return (B) this;
        }

        /**
         * Sets any {@code config.json} key.
         *
         * @param key the key
         * @param value the value; {@code null} removes the key
         * @return this builder
         */
        public B set(String key, JsonNode value) {
            if (value == null) {
                json.remove(key);
            } else {
                json.set(key, value);
            }
            return self();
        }

        /**
         * Writes one typed setter's key: how every setter of a config builder stores its value.
         *
         * @param key the {@code config.json} key
         * @param value an int, double, boolean or string; {@code null} removes the key
         * @return this builder
         */
        protected final B put(String key, Object value) {
            return set(key, value == null ? null : PLAIN.valueToTree(value));
        }

        /** @param v {@code vocab_size} @return this builder */
        public B vocabSize(int v) {
            return put("vocab_size", v);
        }

        /** @param v {@code hidden_size} (GPT-2's {@code n_embd}) @return this builder */
        public B hiddenSize(int v) {
            return put(keys.hiddenSize(), v);
        }

        /** @param v {@code num_hidden_layers} (GPT-2's {@code n_layer}) @return this builder */
        public B numLayers(int v) {
            return put(keys.numLayers(), v);
        }

        /** @param v {@code num_attention_heads} (GPT-2's {@code n_head}) @return this builder */
        public B numAttentionHeads(int v) {
            return put(keys.numAttentionHeads(), v);
        }

        /**
         * @param v {@code intermediate_size} (GPT-2's {@code n_inner}, which defaults to 4 * n_embd)
         * @return this builder
         */
        public B intermediateSize(int v) {
            return put(keys.intermediateSize(), v);
        }

        /** @param v {@code max_position_embeddings} (GPT-2's {@code n_positions}) @return this builder */
        public B maxPositionEmbeddings(int v) {
            return put(keys.maxPositionEmbeddings(), v);
        }

        /** @param v {@code hidden_act} (GPT-2's {@code activation_function}) @return this builder */
        public B hiddenAct(String v) {
            return put(keys.hiddenAct(), v);
        }

        /** @param v {@code tie_word_embeddings} @return this builder */
        public B tieWordEmbeddings(boolean v) {
            return put("tie_word_embeddings", v);
        }

        /** @param v {@code initializer_range} @return this builder */
        public B initializerRange(double v) {
            return put("initializer_range", v);
        }

        /** @param v {@code bos_token_id}, {@code null} for none @return this builder */
        public B bosTokenId(Integer v) {
            return put("bos_token_id", v);
        }

        /** @param ids {@code eos_token_id}: one id, or several @return this builder */
        public B eosTokenId(int... ids) {
            return put("eos_token_id", ids.length == 1 ? ids[0] : ids);
        }

        /** @param v {@code pad_token_id}, {@code null} for none @return this builder */
        public B padTokenId(Integer v) {
            return put("pad_token_id", v);
        }

        /** @param v {@code _name_or_path}, {@code null} for none @return this builder */
        public B nameOrPath(String v) {
            return put("_name_or_path", v);
        }

        /** @return the validated, immutable config */
        public abstract C build();
    }

    /** @return a builder starting from this configuration */
    public abstract Builder<?, ?> toBuilder();

    /** @return a copy of the JSON, for subclasses' {@code toBuilder} */
    protected ObjectNode jsonCopy() {
        return json.deepCopy();
    }

    static ObjectNode newJson(String modelType) {
        ObjectNode node = PythonJson.mapper().createObjectNode();
        node.put("model_type", modelType);
        return node;
    }
}
