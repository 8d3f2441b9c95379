package io.github.peft4j.prefix;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * A model that only reports sizes (and holds a small vocabulary), to check parameter counts and
 * file sizes against PEFT's measurements on large models without building them.
 */
final class SizedModel extends SizedPromptModel {

    private final Parameter embeddings;

    SizedModel(NDManager manager, int layers, int hidden, int heads, int kvHeads, int headDim, int vocab) {
        super(layers, hidden, heads, kvHeads, headDim);
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
