package io.github.peft4j.models.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.peft4j.models.config.BertConfig;
import io.github.peft4j.models.nn.Dropout;
import io.github.peft4j.models.nn.HiddenStateRecorder;
import io.github.peft4j.models.nn.Linears;
import java.util.Optional;

/**
 * transformers' {@code BertForSequenceClassification} as a DJL block, with the same module paths:
 * {@code bert.embeddings.{word_embeddings,position_embeddings,token_type_embeddings,LayerNorm}},
 * {@code bert.encoder.layer.<i>.attention.self.{query,key,value}},
 * {@code .attention.output.{dense,LayerNorm}}, {@code .intermediate.dense},
 * {@code .output.{dense,LayerNorm}}, {@code bert.pooler.dense} and the head {@code classifier}
 * (the module PEFT users list in {@code modules_to_save}).
 *
 * <p>Input: {@code NDList(input_ids [B,T] INT64, optional attention_mask [B,T], optional
 * token_type_ids [B,T])}; output: {@code NDList(logits [B, num_labels])}, then the hidden states when
 * they are requested ({@link io.github.peft4j.models.HiddenStates}).
 *
 * <pre>{@code
 * PretrainedModel bert = HfModels.load(Path.of("bert-base-uncased"), manager);   // classifier initialised fresh
 * NDArray logits = bert.block().forward(ps, new NDList(ids, mask), false).head();
 * }</pre>
 */
public final class BertForSequenceClassification extends BertPretrainedModel {

    private Block classifier;

    /**
     * @param config the configuration
     * @param nameOrPath where the model came from, or {@code null}
     */
    public BertForSequenceClassification(BertConfig config, String nameOrPath) {
        super(config, nameOrPath, true);
        classifier = addChildBlock("classifier", Linears.of(config.numLabels(), true));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDList encoded = bert().forward(ps, inputs, training, params);
        NDArray pooled = Dropout.apply(encoded.get(1), config().classifierDropout(), training);
        NDList logits = classifier.forward(ps, new NDList(pooled), training, params);
        return HiddenStateRecorder.passOn(logits, encoded, 2);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        bert().initialize(manager, dataType, inputShapes[0]);
        classifier.initialize(manager, dataType, new Shape(inputShapes[0].get(0), config().hiddenSize()));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), config().numLabels())};
    }

    @Override
    public boolean mayBeMissing(String key, boolean bareCheckpoint) {
        // the task head is new for every fine-tune; checkpoints of BertLMHeadModel/BertForMaskedLM have no pooler
        return key.startsWith("classifier.") || key.startsWith("bert.pooler.");
    }

    /** PEFT leaves a sequence-classification head out of {@code all-linear}; so does this path. */
    @Override
    public Optional<String> outputEmbeddingsPath() {
        return Optional.of("classifier");
    }
}
