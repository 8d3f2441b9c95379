package io.github.peft4j.train.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import io.github.peft4j.core.tuner.NoGrad;
import java.util.List;

/**
 * Gradient utilities torch has and DJL lacks: zeroing that also clears NaN, and global-norm
 * clipping ({@code torch.nn.utils.clip_grad_norm_}; DJL's {@code optClipGrad} clamps each element
 * from above only).
 *
 * <pre>{@code
 * double norm = Gradients.clipGlobalNorm(params, 1.0); // the norm before clipping
 * optimizer.step(lr);
 * Gradients.zero(params);
 * }</pre>
 */
// NDScope and NoGrad are held for their effect on the ops inside the block
@SuppressWarnings("try")
public final class Gradients {

    private Gradients() {}

    /**
     * Sets each gradient to zero in place (NaN and Inf included).
     *
     * @param parameters the parameters
     */
    public static void zero(List<Parameter> parameters) {
        for (Parameter p : parameters) {
            NDArray array = p.getArray();
            if (!array.hasGradient()) {
                continue;
            }
            if (array instanceof PtNDArray pt) {
                JniUtils.zeroGrad(pt);
            } else {
                try (NDScope scope = new NDScope();
                        NoGrad off = NoGrad.enter(array.getManager().getEngine())) {
                    NDArray g = array.getGradient();
                    g.muli(0);
                }
            }
        }
    }

    /**
     * The L2 norm of all gradients together, as {@code clip_grad_norm_} computes it (the norm of
     * the per-tensor norms), with one read-back.
     *
     * @param parameters the parameters (those without gradient count as zero)
     * @return the global norm, NaN or infinite if a gradient is
     */
    public static double globalNorm(List<Parameter> parameters) {
        try (NDScope scope = new NDScope();
                NoGrad off = NoGrad.enter(engineOf(parameters))) {
            NDList norms = new NDList();
            for (Parameter p : parameters) {
                if (p.getArray().hasGradient()) {
                    norms.add(p.getArray().getGradient().flatten().norm().reshape(1));
                }
            }
            if (norms.isEmpty()) {
                return 0.0;
            }
            NDArray all = norms.size() == 1 ? norms.head() : NDArrays.concat(norms);
            return all.norm().getFloat();
        }
    }

    /**
     * Scales all gradients so that their global norm is at most {@code maxNorm}, exactly as
     * {@code torch.nn.utils.clip_grad_norm_}: {@code coef = min(1, maxNorm / (norm + 1e-6))}.
     *
     * @param parameters the parameters
     * @param maxNorm the largest allowed global norm; {@code <= 0} only measures
     * @return the global norm before clipping
     */
    public static double clipGlobalNorm(List<Parameter> parameters, double maxNorm) {
        double norm = globalNorm(parameters);
        if (maxNorm <= 0 || !Double.isFinite(norm)) {
            return norm;
        }
        // torch computes the coefficient as a float32 tensor op
        float coef = (float) maxNorm / ((float) norm + 1e-6f);
        if (coef >= 1f) {
            return norm;
        }
        scale(parameters, coef);
        return norm;
    }

    /**
     * Multiplies every gradient in place, outside autograd.
     *
     * <pre>{@code
     * Gradients.scale(params, 1f / tokensInStep); // summed micro-batch losses -> mean
     * }</pre>
     *
     * @param parameters the parameters (those without gradient are skipped)
     * @param factor the factor
     */
    public static void scale(List<Parameter> parameters, float factor) {
        try (NDScope scope = new NDScope();
                NoGrad off = NoGrad.enter(engineOf(parameters))) {
            for (Parameter p : parameters) {
                if (p.getArray().hasGradient()) {
                    p.getArray().getGradient().muli(factor);
                }
            }
        }
    }

    private static ai.djl.engine.Engine engineOf(List<Parameter> parameters) {
        if (parameters.isEmpty()) {
            return ai.djl.engine.Engine.getInstance();
        }
        return parameters.get(0).getArray().getManager().getEngine();
    }
}
