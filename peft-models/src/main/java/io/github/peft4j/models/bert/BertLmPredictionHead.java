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
import io.github.peft4j.models.config.BertConfig;
import io.github.peft4j.models.nn.Linears;
import io.github.peft4j.models.nn.TiedLmHead;

/**
 * transformers' {@code BertLMPredictionHead} ({@code cls.predictions}):
 * {@code decoder(transform(h)) + bias}, the {@code decoder} reading the word embeddings when
 * {@code tie_word_embeddings} (the default) and owning {@code cls.predictions.decoder.weight}
 * otherwise. The vocabulary bias is {@code cls.predictions.bias}, which transformers also exposes as
 * {@code decoder.bias}; checkpoints store it once.
 *
 * <pre>{@code
 * Block predictions = ModuleTree.of(model).get("cls.predictions");
 * }</pre>
 */
public final class BertLmPredictionHead extends AbstractBlock {

    private final int vocabSize;
    private final Parameter bias;
    private Block transform;
    private Block decoder;

    BertLmPredictionHead(BertConfig config, Parameter wordEmbeddings) {
        this.vocabSize = config.vocabSize();
        bias = addParameter(Parameter.builder().setName("bias").setType(Parameter.Type.BIAS).build());
        transform = addChildBlock("transform", new BertPredictionHeadTransform(config));
        decoder = addChildBlock("decoder", config.tieWordEmbeddings()
                ? new TiedLmHead(wordEmbeddings, vocabSize)
                : Linears.of(vocabSize, false));
    }

    @Override
    public void prepare(Shape[] inputShapes) {
        bias.setShape(new Shape(vocabSize));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray h = transform.forward(ps, inputs, training, params).head();
        NDArray logits = decoder.forward(ps, new NDList(h), training, params).head();
        return new NDList(logits.add(ps.getValue(bias, logits.getDevice(), training)));
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        transform.initialize(manager, dataType, inputShapes[0]);
        decoder.initialize(manager, dataType, inputShapes[0]);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape in = inputShapes[0];
        return new Shape[] {in.slice(0, in.dimension() - 1).add(vocabSize)};
    }
}
