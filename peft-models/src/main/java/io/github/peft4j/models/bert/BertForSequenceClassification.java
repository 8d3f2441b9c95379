package io.github.peft4j.models.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.peft4j.core.hooks.PromptLearningModel;
import io.github.peft4j.models.HfModel;
import io.github.peft4j.models.config.BertConfig;
import io.github.peft4j.models.nn.Dropout;
import io.github.peft4j.models.nn.Linears;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * transformers' {@code BertForSequenceClassification} as a DJL block, with the same module paths:
 * {@code bert.embeddings.{word_embeddings,position_embeddings,token_type_embeddings,LayerNorm}},
 * {@code bert.encoder.layer.<i>.attention.self.{query,key,value}},
 * {@code .attention.output.{dense,LayerNorm}}, {@code .intermediate.dense},
 * {@code .output.{dense,LayerNorm}}, {@code bert.pooler.dense} and the head {@code classifier}
 * (the module PEFT users list in {@code modules_to_save}).
 *
 * <p>Input: {@code NDList(input_ids [B,T] INT64, optional attention_mask [B,T], optional
 * token_type_ids [B,T])}; output: {@code NDList(logits [B, num_labels])}.
 *
 * <pre>{@code
 * PretrainedModel bert = HfModels.load(Path.of("bert-base-uncased"), manager);   // classifier initialised fresh
 * NDArray logits = bert.block().forward(ps, new NDList(ids, mask), false).head();
 * }</pre>
 */
public final class BertForSequenceClassification extends AbstractBlock implements HfModel, PromptLearningModel {

    private static final Pattern BUFFERS = Pattern.compile("bert\\.embeddings\\.position_ids");

    private final BertConfig config;
    private final String nameOrPath;
    private final BertModel body;
    private Block bert;
    private Block classifier;

    /**
     * @param config the configuration
     * @param nameOrPath where the model came from, or {@code null}
     */
    public BertForSequenceClassification(BertConfig config, String nameOrPath) {
        this.config = config;
        this.nameOrPath = nameOrPath;
        body = new BertModel(config);
        bert = addChildBlock("bert", body);
        classifier = addChildBlock("classifier", Linears.of(config.numLabels(), true));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray pooled = bert.forward(ps, inputs, training, params).get(1);
        pooled = Dropout.apply(pooled, config.classifierDropout(), training);
        return classifier.forward(ps, new NDList(pooled), training, params);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        bert.initialize(manager, dataType, inputShapes[0]);
        classifier.initialize(manager, dataType, new Shape(inputShapes[0].get(0), config.hiddenSize()));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), config.numLabels())};
    }

    @Override
    public BertConfig config() {
        return config;
    }

    @Override
    public String modelType() {
        return config.modelType();
    }

    @Override
    public String basePrefix() {
        return "bert";
    }

    @Override
    public boolean mayBeMissing(String key, boolean bareCheckpoint) {
        // the task head is new for every fine-tune; checkpoints of BertLMHeadModel/BertForMaskedLM have no pooler
        return key.startsWith("classifier.") || key.startsWith("bert.pooler.");
    }

    @Override
    public boolean isBuffer(String key) {
        return BUFFERS.matcher(key).matches();
    }

    /** PEFT leaves a sequence-classification head out of {@code all-linear}; so does this path. */
    @Override
    public Optional<String> outputEmbeddingsPath() {
        return Optional.of("classifier");
    }

    @Override
    public Optional<String> nameOrPath() {
        return Optional.ofNullable(nameOrPath).or(config::nameOrPath);
    }

    @Override
    public int numLayers() {
        return config.numLayers();
    }

    @Override
    public int hiddenSize() {
        return config.hiddenSize();
    }

    @Override
    public int numAttentionHeads() {
        return config.numAttentionHeads();
    }

    @Override
    public Parameter wordEmbeddings() {
        return body.tokenEmbedding().weight();
    }
}
