package io.github.peft4j.prefix;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.peft4j.core.hooks.PromptLearningModel;

/**
 * A model that only reports sizes (and holds a small vocabulary), to check parameter counts and
 * file sizes against PEFT's measurements on large models without building them.
 */
final class SizedModel extends AbstractBlock implements PromptLearningModel {

    private final int layers;
    private final int hidden;
    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final Parameter embeddings;

    SizedModel(NDManager manager, int layers, int hidden, int heads, int kvHeads, int headDim, int vocab) {
        this.layers = layers;
        this.hidden = hidden;
        this.heads = heads;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        embeddings = addParameter(Parameter.builder().setName("weight").setType(Parameter.Type.WEIGHT)
                .optArray(manager.randomNormal(new Shape(vocab, hidden))).build());
        initialize(manager, DataType.FLOAT32, new Shape(1, 1));
    }

    /** Llama-3.2-3B: 28 layers, hidden 3072, 24 heads sharing 8 key/value heads of 128. */
    static SizedModel llama32x3b(NDManager manager) {
        return new SizedModel(manager, 28, 3072, 24, 8, 128, 16);
    }

    @Override
    public String modelType() {
        return "llama";
    }

    @Override
    public int numLayers() {
        return layers;
    }

    @Override
    public int hiddenSize() {
        return hidden;
    }

    @Override
    public int numAttentionHeads() {
        return heads;
    }

    @Override
    public int numKeyValueHeads() {
        return kvHeads;
    }

    @Override
    public int headDim() {
        return headDim;
    }

    @Override
    public Parameter wordEmbeddings() {
        return embeddings;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
            PairList<String, Object> params) {
        throw new UnsupportedOperationException("sizes only");
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return inputShapes;
    }
}
