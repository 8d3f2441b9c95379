package io.github.peft4j.core.testmodels;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.peft4j.core.module.EmbeddingLike;

/**
 * An embedding table that tuners see as one ({@link EmbeddingLike}: LoRA can wrap it): parameter
 * {@code weight} [num, dim], N(0, 1). {@link Embedding} is the same table without the interface,
 * so that the Tiny* models' embeddings stay plain modules to target matching.
 *
 * <pre>{@code
 * EmbeddingTable embed = new EmbeddingTable(manager, 7, 3, DataType.FLOAT64);
 * }</pre>
 */
public final class EmbeddingTable extends Module implements EmbeddingLike {

    private final Parameter weight;

    /**
     * @param manager the manager for the weights
     * @param num number of rows
     * @param dim embedding size
     * @param type the weight's data type
     */
    public EmbeddingTable(NDManager manager, int num, int dim, DataType type) {
        weight = parameter("weight", manager.randomNormal(0f, 1f, new Shape(num, dim), type));
    }

    @Override
    public Parameter weight() {
        return weight;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> p) {
        NDArray ids = in.head();
        NDArray w = ps.getValue(weight, ids.getDevice(), training);
        return ids.getNDArrayInternal().embedding(ids, w, SparseFormat.DENSE);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0].add(weight.getArray().getShape().get(1))};
    }
}
