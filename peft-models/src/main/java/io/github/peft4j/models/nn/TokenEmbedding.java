package io.github.peft4j.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.AbstractEmbedding;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * {@code torch.nn.Embedding}: a lookup table whose parameter is named {@code weight}
 * [num_embeddings, embedding_dim] as in Hugging Face checkpoints (DJL's embeddings call it
 * {@code embedding}). Input: integer ids of any shape; output: that shape plus the embedding size.
 *
 * <pre>{@code
 * TokenEmbedding wte = new TokenEmbedding(50257, 768);
 * NDArray h = wte.forward(ps, new NDList(ids), false).head();   // [B, T, 768]
 * }</pre>
 */
public final class TokenEmbedding extends AbstractBlock implements AbstractEmbedding<Long> {

    private final int numEmbeddings;
    private final int embeddingDim;
    private final Parameter weight;

    /**
     * @param numEmbeddings the table size
     * @param embeddingDim the embedding size
     */
    public TokenEmbedding(int numEmbeddings, int embeddingDim) {
        this.numEmbeddings = numEmbeddings;
        this.embeddingDim = embeddingDim;
        this.weight = addParameter(Parameter.builder().setName("weight").setType(Parameter.Type.WEIGHT).build());
    }

    /** @return the table, [num_embeddings, embedding_dim] */
    public Parameter weight() {
        return weight;
    }

    /** @return the table size */
    public int numEmbeddings() {
        return numEmbeddings;
    }

    /** @return the embedding size */
    public int embeddingDim() {
        return embeddingDim;
    }

    @Override
    public void prepare(Shape[] inputShapes) {
        weight.setShape(new Shape(numEmbeddings, embeddingDim));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray ids = inputs.head();
        NDArray table = ps.getValue(weight, ids.getDevice(), training);
        return new NDList(lookup(ids, table));
    }

    /**
     * @param ids integer ids (converted to INT64 if needed)
     * @param table [num, dim]
     * @return the rows, attached to the ids' manager
     */
    static NDArray lookup(NDArray ids, NDArray table) {
        NDArray index = ids.getDataType() == DataType.INT64 ? ids : ids.toType(DataType.INT64, false);
        return index.getNDArrayInternal().embedding(index, table, SparseFormat.DENSE).singletonOrThrow();
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0].add(embeddingDim)};
    }

    @Override
    public boolean hasItem(Long item) {
        return item != null && item >= 0 && item < numEmbeddings;
    }

    @Override
    public NDArray embed(NDManager manager, Long[] items) {
        long[] ids = new long[items.length];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = items[i];
        }
        NDArray index = manager.create(ids);
        return lookup(index, weight.getArray());
    }
}
