package io.github.peft4j.models.config;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;

/**
 * Configuration of BERT ({@code model_type: bert}), with transformers' {@code BertConfig} keys and
 * defaults. It builds {@code BertForSequenceClassification} unless the loader asks for an LM head
 * ({@code LoadOptions.architecture("BertForMaskedLM")}). The number of labels comes from {@code id2label} (2 when
 * absent, as in transformers).
 *
 * <pre>{@code
 * BertConfig config = BertConfig.tiny().numLabels(3).build();
 * }</pre>
 */
public final class BertConfig extends ModelConfig {

    private final double hiddenDropout;
    private final double attentionDropout;
    private final int typeVocabSize;
    private final double layerNormEps;
    private final double classifierDropout;
    private final int numLabels;
    private final boolean isDecoder;

    BertConfig(ObjectNode json, Path source) {
        super(json, source, null, null, BertConfig::readCommon);
        JsonFields f = fields();
        hiddenDropout = f.doubleValue("hidden_dropout_prob", 0.1);
        attentionDropout = f.doubleValue("attention_probs_dropout_prob", 0.1);
        typeVocabSize = f.requiredPositiveInt("type_vocab_size", 2);
        layerNormEps = f.doubleValue("layer_norm_eps", 1e-12);
        classifierDropout = f.doubleValue("classifier_dropout", hiddenDropout);
        String positions = f.string("position_embedding_type", "absolute");
        if (!positions.equals("absolute")) {
            throw f.invalid("position_embedding_type", "only 'absolute' is supported, found '" + positions + "'");
        }
        ObjectNode id2label = f.objectOrNull("id2label");
        numLabels = id2label != null && id2label.size() > 0 ? id2label.size() : f.requiredPositiveInt("num_labels", 2);
        isDecoder = f.boolValue("is_decoder", false);
    }

    private static CommonFields readCommon(JsonFields f) {
        if (!f.modelType().equals("bert")) {
            throw f.invalid("model_type", "BertConfig reads bert, not '" + f.modelType() + "'");
        }
        int vocabSize = f.requiredPositiveInt("vocab_size", 30522);
        int hiddenSize = f.requiredPositiveInt("hidden_size", 768);
        int numLayers = f.requiredPositiveInt("num_hidden_layers", 12);
        int numHeads = f.requiredPositiveInt("num_attention_heads", 12);
        if (hiddenSize % numHeads != 0) {
            throw f.invalid("num_attention_heads", "hidden_size (" + hiddenSize
                    + ") must be a multiple of num_attention_heads (" + numHeads + ")");
        }
        int intermediateSize = f.requiredPositiveInt("intermediate_size", 3072);
        String hiddenAct = f.string("hidden_act", "gelu");
        int maxPositions = f.requiredPositiveInt("max_position_embeddings", 512);
        double initializerRange = f.doubleValue("initializer_range", 0.02);
        // the MLM decoder (cls.predictions.decoder) reads the word embeddings unless this is false
        boolean tieWordEmbeddings = f.boolValue("tie_word_embeddings", true);
        return new CommonFields(vocabSize, hiddenSize, numLayers, numHeads, intermediateSize, maxPositions, hiddenAct,
                initializerRange, tieWordEmbeddings);
    }

    /** @return a builder with transformers' defaults (BERT base) */
    public static Builder builder() {
        return new Builder(newJson("bert"));
    }

    /**
     * A small model for tests and examples: vocab 128, hidden 32, 2 layers, 4 heads, intermediate
     * 64, 64 positions, 2 labels, pad id 0.
     *
     * @return a builder preset to that size
     */
    public static Builder tiny() {
        return builder().vocabSize(128).hiddenSize(32).numLayers(2).numAttentionHeads(4).intermediateSize(64)
                .maxPositionEmbeddings(64).padTokenId(0);
    }

    @Override
    public Builder toBuilder() {
        return new Builder(jsonCopy());
    }

    @Override
    public String architecture() {
        return "BertForSequenceClassification";
    }

    @Override
    public boolean isCausalLm() {
        return false;
    }

    /** @return {@code hidden_dropout_prob} */
    public double hiddenDropout() {
        return hiddenDropout;
    }

    /** @return {@code attention_probs_dropout_prob} */
    public double attentionDropout() {
        return attentionDropout;
    }

    /** @return {@code classifier_dropout}, or {@code hidden_dropout_prob} when null */
    public double classifierDropout() {
        return classifierDropout;
    }

    /** @return {@code type_vocab_size} */
    public int typeVocabSize() {
        return typeVocabSize;
    }

    /** @return {@code layer_norm_eps} */
    public double layerNormEps() {
        return layerNormEps;
    }

    /** @return the number of classes of the {@code classifier} head */
    public int numLabels() {
        return numLabels;
    }

    /** @return {@code is_decoder}: causal self-attention (transformers' {@code BertLMHeadModel} as a decoder) */
    public boolean isDecoder() {
        return isDecoder;
    }

    /** Builder of {@link BertConfig}; every setter writes the transformers key. */
    public static final class Builder extends ModelConfig.Builder<BertConfig, Builder> {

        Builder(ObjectNode json) {
            super(json);
        }

        /** @param v {@code type_vocab_size} @return this builder */
        public Builder typeVocabSize(int v) {
            return put("type_vocab_size", v);
        }

        /** @param v {@code layer_norm_eps} @return this builder */
        public Builder layerNormEps(double v) {
            return put("layer_norm_eps", v);
        }

        /**
         * Sets {@code hidden_dropout_prob} and {@code attention_probs_dropout_prob} together.
         *
         * @param v the dropout probability
         * @return this builder
         */
        public Builder dropout(double v) {
            json.put("hidden_dropout_prob", v);
            json.put("attention_probs_dropout_prob", v);
            return this;
        }

        /**
         * Writes {@code id2label}/{@code label2id} with transformers' default names
         * ({@code LABEL_0}, ...).
         *
         * @param n the number of classes
         * @return this builder
         */
        public Builder numLabels(int n) {
            ObjectNode id2label = json.putObject("id2label");
            ObjectNode label2id = json.putObject("label2id");
            for (int i = 0; i < n; i++) {
                id2label.put(Integer.toString(i), "LABEL_" + i);
                label2id.put("LABEL_" + i, i);
            }
            return this;
        }

        /** @param v {@code is_decoder}: causal self-attention @return this builder */
        public Builder isDecoder(boolean v) {
            return put("is_decoder", v);
        }

        @Override
        public BertConfig build() {
            return new BertConfig(json.deepCopy(), null);
        }
    }
}
