package io.github.peft4j.lora.init;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.lora.linalg.Matrix;
import java.util.OptionalInt;

/**
 * PEFT's LoRA initialisations ({@code reset_lora_parameters}, {@code pissa_init}, {@code olora_init}).
 * Random draws use the engine's generator, so {@code Engine.getInstance().setRandomSeed} makes them
 * repeatable. The weight-rewriting ones return the new base weight, which equals the old one minus
 * exactly what the adapter adds, so the adapted output at start equals the base output. Used by the
 * LoRA layers when an adapter is added.
 *
 * <pre>{@code
 * LoraInit.Tensors t = LoraInit.linear(InitLoraWeights.TRUE, 8, in, out, false, manager, DataType.FLOAT32);
 * // t.a(): [8, in] Kaiming-uniform, t.b(): [out, 8] zeros
 * }</pre>
 */
public final class LoraInit {

    private LoraInit() {}

    /** A and B (and lora_B's bias, or {@code null}) of a new adapter. */
    public record Tensors(NDArray a, NDArray b, NDArray bias) {}

    /** A and B computed from the base weight, with the base weight they leave behind. */
    public record Decomposition(Matrix a, Matrix b, Matrix residual) {}

    /**
     * A and B for a linear layer that keep the base weight: {@code true} is Kaiming-uniform(a=√5) A
     * (U(±1/√in), {@code nn.Linear}'s default) and zero B; {@code "gaussian"} is A ~ N(0, 1/r) and zero
     * B; {@code false} is {@code nn.Linear}'s default for both (B ~ U(±1/√r)). lora_B's bias is zero,
     * or {@code nn.Linear}'s default with {@code false}.
     */
    public static Tensors linear(InitLoraWeights init, int r, long in, long out, boolean loraBias, NDManager m, DataType t) {
        Shape aShape = new Shape(r, in);
        Shape bShape = new Shape(out, r);
        float aBound = (float) (1 / Math.sqrt(in));
        NDArray a;
        NDArray b;
        NDArray bias = null;
        if (init.isRandom()) {
            float bBound = (float) (1 / Math.sqrt(r));
            a = m.randomUniform(-aBound, aBound, aShape, t);
            b = m.randomUniform(-bBound, bBound, bShape, t);
            if (loraBias) {
                bias = m.randomUniform(-bBound, bBound, new Shape(out), t);
            }
        } else {
            a = init.isGaussian() ? m.randomNormal(0f, 1f / r, aShape, t) : m.randomUniform(-aBound, aBound, aShape, t);
            b = m.zeros(bShape, t);
            if (loraBias) {
                bias = m.zeros(new Shape(out), t);
            }
        }
        return new Tensors(a, b, bias);
    }

    /**
     * Embedding LoRA: {@code lora_embedding_A} zero and {@code lora_embedding_B} ~ N(0, 1) for every
     * initialisation but {@code false}, which leaves both N(0, 1) (PEFT creates them with
     * {@code torch.randn} and only resets them when the value is truthy; PiSSA and OLoRA do not apply
     * to embeddings).
     */
    public static Tensors embedding(InitLoraWeights init, int r, long numEmbeddings, long dim, NDManager m, DataType t) {
        Shape aShape = new Shape(r, numEmbeddings);
        Shape bShape = new Shape(dim, r);
        NDArray a = init.isRandom() ? m.randomNormal(0f, 1f, aShape, t) : m.zeros(aShape, t);
        NDArray b = m.randomNormal(0f, 1f, bShape, t);
        return new Tensors(a, b, null);
    }

    /**
     * PiSSA: for W = U·S·Vᵀ ([out, in]), A = √(S_r/scaling)·V_rᵀ and B = U_r·√(S_r/scaling), and W
     * becomes W − scaling·B·A. {@code niter} selects the randomised {@code svd_lowrank} of
     * {@code "pissa_niter_N"}; without it the SVD is exact.
     *
     * @param w the weight as [out, in]
     * @param r the rank
     * @param scaling the adapter's scaling
     * @param niter subspace iterations, or empty for the exact SVD
     * @param random the manager whose engine generator draws the random test matrix
     */
    public static Decomposition pissa(Matrix w, int r, double scaling, OptionalInt niter, NDManager random) {
        requireRank("pissa", r, w);
        Matrix.Svd svd = niter.isPresent() ? svdLowRank(w, r, niter.getAsInt(), random) : w.svd();
        double[] root = new double[r];
        for (int i = 0; i < r; i++) {
            root[i] = Math.sqrt(svd.s()[i] / scaling);
        }
        Matrix a = svd.vt().topRows(r).scaleRows(root);
        Matrix b = svd.u().leftColumns(r).scaleColumns(root);
        return new Decomposition(a, b, residual(w, b, a, scaling));
    }

    /**
     * OLoRA: Q, R = qr(W) of the weight as stored; B = Q[:, :r], A = R[:r], and W becomes
     * W − scaling·B·A.
     *
     * @param stored the weight in its stored layout
     * @param r the rank
     * @param scaling the adapter's scaling
     */
    public static Decomposition olora(Matrix stored, int r, double scaling) {
        requireRank("olora", r, stored);
        Matrix.Qr qr = stored.qr();
        Matrix b = qr.q().leftColumns(r);
        Matrix a = qr.r().topRows(r);
        return new Decomposition(a, b, residual(stored, b, a, scaling));
    }

    private static Matrix residual(Matrix w, Matrix b, Matrix a, double scaling) {
        Matrix ba = b.times(a);
        double[] values = w.values().clone();
        double[] product = ba.values();
        for (int i = 0; i < values.length; i++) {
            values[i] -= scaling * product[i];
        }
        return new Matrix(w.rows, w.cols, values);
    }

    private static void requireRank(String init, int r, Matrix w) {
        int max = Math.min(w.rows, w.cols);
        if (r > max) {
            throw new PeftConfigException("init_lora_weights='" + init + "' needs r <= min(out, in) = " + max
                    + " for a " + w.rows + "x" + w.cols + " weight, got r=" + r);
        }
    }

    /**
     * {@code torch.svd_lowrank(A, q, niter)} (Halko et al. 2009, algorithm 5.1): a random Gaussian
     * test matrix, {@code niter} rounds of subspace iteration with QR re-orthonormalisation, then the
     * exact SVD of the small projection.
     */
    static Matrix.Svd svdLowRank(Matrix a, int q, int niter, NDManager random) {
        boolean wide = a.rows < a.cols;
        Matrix tall = wide ? a.transpose() : a;
        Matrix tallT = tall.transpose();
        Matrix r;
        try (NDArray draw = random.randomNormal(new Shape(tall.cols, q), DataType.FLOAT32)) {
            r = Matrix.of(draw);
        }
        Matrix basis = tall.times(r).qr().q();
        for (int i = 0; i < niter; i++) {
            basis = tallT.times(basis).qr().q();
            basis = tall.times(basis).qr().q();
        }
        Matrix.Svd small = basis.transpose().times(tall).svd();
        Matrix u = basis.times(small.u());
        Matrix.Svd tallSvd = new Matrix.Svd(u, small.s(), small.vt());
        if (!wide) {
            return tallSvd;
        }
        return new Matrix.Svd(tallSvd.vt().transpose(), tallSvd.s(), tallSvd.u().transpose());
    }
}
