package io.github.peft4j.models.bert;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.peft4j.models.config.BertConfig;
import io.github.peft4j.models.nn.HiddenStateRecorder;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The BERT classes with token logits, {@code BertForMaskedLM} and {@code BertLMHeadModel}: the
 * encoder without pooler under {@code bert} and the head {@code cls.predictions} over every
 * position. Input: {@code NDList(input_ids [B,T], optional attention_mask, optional token_type_ids)};
 * output: {@code NDList(logits [B,T,vocab])}, then the hidden states when requested.
 *
 * <pre>{@code
 * BertMlmHeadModel mlm = new BertForMaskedLM(config, null);
 * }</pre>
 */
public abstract class BertMlmHeadModel extends BertPretrainedModel {

    // a tied decoder's weight (older checkpoints store it) and the decoder's alias of the bias
    private static final Pattern TIED_DECODER = Pattern.compile("cls\\.predictions\\.decoder\\.(weight|bias)");
    private static final Pattern DECODER_BIAS = Pattern.compile("cls\\.predictions\\.decoder\\.bias");

    private Block cls;

    BertMlmHeadModel(BertConfig config, String nameOrPath) {
        super(config, nameOrPath, false);
        cls = addChildBlock("cls", new BertOnlyMlmHead(config, wordEmbeddings()));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDList encoded = bert().forward(ps, inputs, training, params);
        NDList logits = cls.forward(ps, new NDList(encoded.head()), training, params);
        return HiddenStateRecorder.passOn(logits, encoded, 1);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        bert().initialize(manager, dataType, inputShapes[0]);
        cls.initialize(manager, dataType, inputShapes[0].add(config().hiddenSize()));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0].add(config().vocabSize())};
    }

    @Override
    public boolean mayBeMissing(String key, boolean bareCheckpoint) {
        // a checkpoint of BertModel or of a classifier has no MLM head: transformers initialises it fresh
        return key.startsWith("cls.");
    }

    @Override
    public boolean isBuffer(String key) {
        Pattern tied = config().tieWordEmbeddings() ? TIED_DECODER : DECODER_BIAS;
        return super.isBuffer(key) || tied.matcher(key).matches();
    }

    /** transformers' {@code get_output_embeddings()}, which PEFT leaves out of {@code all-linear}. */
    @Override
    public Optional<String> outputEmbeddingsPath() {
        return Optional.of("cls.predictions.decoder");
    }
}
