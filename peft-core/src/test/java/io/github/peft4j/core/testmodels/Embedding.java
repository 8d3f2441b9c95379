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

/** {@code torch.nn.Embedding}: parameter {@code weight} [num, dim], input int64 ids. */
public final class Embedding extends Module {

    private final Parameter weight;

    /**
     * @param manager the manager for the weights
     * @param num number of rows
     * @param dim embedding size
     */
    public Embedding(NDManager manager, int num, int dim) {
        weight = parameter("weight", manager.randomNormal(0, 1f, new Shape(num, dim), DataType.FLOAT32));
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray ids = inputs.singletonOrThrow();
        NDArray w = ps.getValue(weight, ids.getDevice(), training);
        // ids first, so the result belongs to the call's manager, not the weight's
        return ids.getNDArrayInternal().embedding(ids, w, SparseFormat.DENSE);
    }
}
