package io.github.peft4j.models.config;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;

/**
 * Configuration of BERT ({@code model_type: bert}) for sequence classification, with transformers'
 * {@code BertConfig} keys and defaults. The number of labels comes from {@code id2label} (2 when
 * absent, as in transformers).
 *
 * <pre>{@code
 * BertConfig config = BertConfig.tiny().numLabels(3).build();
 * }</pre>
 */
public final class BertConfig extends ModelConfig {

    private final int vocabSize;
    private final int hiddenSize;
    private final int numLayers;
    private final int numHeads;
    private final int intermediateSize;
    private final String hiddenAct;
    private final double hiddenDropout;
    private final double attentionDropout;
    private final int maxPositions;
    private final int typeVocabSize;
    private final double initializerRange;
    private final double layerNormEps;
    private final double classifierDropout;
    private final int numLabels;

    BertConfig(ObjectNode json, Path source) {
        super(json, source, null, null);
        JsonFields f = fields();
        if (!modelType().equals("bert")) {
            throw f.invalid("model_type", "BertConfig reads bert, not '" + modelType() + "'");
        }
        vocabSize = f.requiredPositiveInt("vocab_size", 30522);
        hiddenSize = f.requiredPositiveInt("hidden_size", 768);
        numLayers = f.requiredPositiveInt("num_hidden_layers", 12);
        numHeads = f.requiredPositiveInt("num_attention_heads", 12);
        if (hiddenSize % numHeads != 0) {
            throw f.invalid("num_attention_heads", "hidden_size (" + hiddenSize
                    + ") must be a multiple of num_attention_heads (" + numHeads + ")");
        }
        intermediateSize = f.requiredPositiveInt("intermediate_size", 3072);
        hiddenAct = f.string("hidden_act", "gelu");
        hiddenDropout = f.doubleValue("hidden_dropout_prob", 0.1);
        attentionDropout = f.doubleValue("attention_probs_dropout_prob", 0.1);
        maxPositions = f.requiredPositiveInt("max_position_embeddings", 512);
        typeVocabSize = f.requiredPositiveInt("type_vocab_size", 2);
        initializerRange = f.doubleValue("initializer_range", 0.02);
        layerNormEps = f.doubleValue("layer_norm_eps", 1e-12);
        classifierDropout = f.doubleValue("classifier_dropout", hiddenDropout);
        String positions = f.string("position_embedding_type", "absolute");
        if (!positions.equals("absolute")) {
            throw f.invalid("position_embedding_type", "only 'absolute' is supported, found '" + positions + "'");
        }
        ObjectNode id2label = f.objectOrNull("id2label");
        numLabels = id2label != null && id2label.size() > 0 ? id2label.size() : f.requiredPositiveInt("num_labels", 2);
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

    @Override
    public int vocabSize() {
        return vocabSize;
    }

    @Override
    public int hiddenSize() {
        return hiddenSize;
    }

    @Override
    public int numLayers() {
        return numLayers;
    }

    @Override
    public int numAttentionHeads() {
        return numHeads;
    }

    @Override
    public int intermediateSize() {
        return intermediateSize;
    }

    @Override
    public int maxPositionEmbeddings() {
        return maxPositions;
    }

    @Override
    public boolean tieWordEmbeddings() {
        return false;
    }

    @Override
    public double initializerRange() {
        return initializerRange;
    }

    @Override
    public String hiddenAct() {
        return hiddenAct;
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

    /** Builder of {@link BertConfig}; every setter writes the transformers key. */
    public static final class Builder extends ModelConfig.Builder<BertConfig, Builder> {

        Builder(ObjectNode json) {
            super(json);
        }

        /** @param v {@code hidden_size} @return this builder */
        public Builder hiddenSize(int v) {
            json.put("hidden_size", v);
            return this;
        }

        /** @param v {@code num_hidden_layers} @return this builder */
        public Builder numLayers(int v) {
            json.put("num_hidden_layers", v);
            return this;
        }

        /** @param v {@code num_attention_heads} @return this builder */
        public Builder numAttentionHeads(int v) {
            json.put("num_attention_heads", v);
            return this;
        }

        /** @param v {@code intermediate_size} @return this builder */
        public Builder intermediateSize(int v) {
            json.put("intermediate_size", v);
            return this;
        }

        /** @param v {@code max_position_embeddings} @return this builder */
        public Builder maxPositionEmbeddings(int v) {
            json.put("max_position_embeddings", v);
            return this;
        }

        /** @param v {@code type_vocab_size} @return this builder */
        public Builder typeVocabSize(int v) {
            json.put("type_vocab_size", v);
            return this;
        }

        /** @param v {@code hidden_act} @return this builder */
        public Builder hiddenAct(String v) {
            json.put("hidden_act", v);
            return this;
        }

        /** @param v {@code layer_norm_eps} @return this builder */
        public Builder layerNormEps(double v) {
            json.put("layer_norm_eps", v);
            return this;
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

        @Override
        public BertConfig build() {
            return new BertConfig(json.deepCopy(), null);
        }
    }
}
