package io.github.peft4j.models.bert;

import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import io.github.peft4j.core.hooks.PromptLearningModel;
import io.github.peft4j.models.HfModel;
import io.github.peft4j.models.config.BertConfig;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What transformers' BERT task classes share (its {@code BertPreTrainedModel}): the encoder under
 * {@code bert}, the configuration and the name the model came from. A subclass adds its head.
 *
 * <pre>{@code
 * BertPretrainedModel bert = (BertPretrainedModel) HfModels.load(dir, manager).block();
 * int layers = bert.numLayers();
 * }</pre>
 */
public abstract class BertPretrainedModel extends AbstractBlock implements HfModel, PromptLearningModel {

    private static final Pattern BUFFERS = Pattern.compile("bert\\.embeddings\\.position_ids");

    private final BertConfig config;
    private final String nameOrPath;
    private final BertModel body;
    // not final: block surgery may replace children held in fields
    private Block bert;

    /**
     * @param config the configuration
     * @param nameOrPath where the model came from, or {@code null}
     * @param addPoolingLayer whether the encoder has its {@code pooler} (transformers'
     *     {@code add_pooling_layer}; the LM heads have none)
     */
    BertPretrainedModel(BertConfig config, String nameOrPath, boolean addPoolingLayer) {
        this.config = config;
        this.nameOrPath = nameOrPath;
        this.body = new BertModel(config, addPoolingLayer);
        this.bert = addChildBlock("bert", body);
    }

    /** @return the encoder block, as the tree holds it now */
    protected final Block bert() {
        return bert;
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
    public boolean isBuffer(String key) {
        return BUFFERS.matcher(key).matches();
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
