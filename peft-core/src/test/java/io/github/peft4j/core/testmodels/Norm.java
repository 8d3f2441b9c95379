package io.github.peft4j.core.testmodels;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.peft4j.core.tuner.Tensors;

/**
 * Hugging Face's {@code LayerNorm} (parameters {@code weight}, {@code bias}) or Llama's
 * {@code RMSNorm} (parameter {@code weight} only). Parameters are read through the
 * {@link ParameterStore}, as DJL's own blocks read them. Initial values are perturbed from
 * ones/zeros so that tests notice a wrong tensor.
 */
public final class Norm extends Module {

    private final Parameter weight;
    private final Parameter bias;
    private final float eps;

    private Norm(NDManager manager, int dim, boolean rms, float eps) {
        this.eps = eps;
        weight = parameter("weight", manager.randomNormal(0, 0.1f, new Shape(dim), ai.djl.ndarray.types.DataType.FLOAT32).add(1f));
        bias = rms ? null : parameter("bias", manager.randomNormal(0, 0.1f, new Shape(dim), ai.djl.ndarray.types.DataType.FLOAT32));
    }

    /**
     * @param manager the manager for the weights
     * @param dim the normalised size
     * @return a LayerNorm (eps 1e-12 as BERT, 1e-5 otherwise does not matter for tests)
     */
    public static Norm layerNorm(NDManager manager, int dim) {
        return new Norm(manager, dim, false, 1e-12f);
    }

    /**
     * @param manager the manager for the weights
     * @param dim the normalised size
     * @return an RMSNorm (eps 1e-6)
     */
    public static Norm rmsNorm(NDManager manager, int dim) {
        return new Norm(manager, dim, true, 1e-6f);
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        NDArray w = ps.getValue(weight, x.getDevice(), training);
        if (bias == null) {
            NDArray scale = x.square().mean(new int[] {-1}, true).add(Tensors.scalar(x, eps)).sqrt();
            return new NDList(x.div(scale).mul(w));
        }
        NDArray b = ps.getValue(bias, x.getDevice(), training);
        NDArray centred = x.sub(x.mean(new int[] {-1}, true));
        NDArray scale = centred.square().mean(new int[] {-1}, true).add(Tensors.scalar(x, eps)).sqrt();
        return new NDList(centred.div(scale).mul(w).add(b));
    }
}
