package io.github.peft4j.lora;

import io.github.peft4j.lora.layer.LoraLayer;
import io.github.peft4j.lora.layer.LoraLinear;
import io.github.peft4j.lora.layer.LoraEmbedding;
import io.github.peft4j.lora.linalg.Matrix;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.ToyModels;
import io.github.peft4j.core.testmodels.Conv1D;
import io.github.peft4j.core.tuner.Tensors;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class InitTest {

    private static final int VOCAB = 17;
    private static final int DIM = 12;

    private NDManager manager;
    private NDArray ids;

    @BeforeEach
    void setUp() {
        manager = NDManager.newBaseManager();
        Engine.getInstance().setRandomSeed(5);
        ids = manager.randomInteger(0, VOCAB, new Shape(2, 6), DataType.INT64);
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    private ToyModels.ToyModel llama() {
        return ToyModels.causalLm(manager, VOCAB, DIM, 2, 9);
    }

    private TestBlocks.Single wide(int in, int out) {
        TestBlocks.Single base = new TestBlocks.Single(ToyModels.linear(out, true));
        base.initialize(manager, DataType.FLOAT32, new Shape(1, in));
        return base;
    }

    private static double std(double[] v) {
        double mean = Arrays.stream(v).average().orElseThrow();
        return Math.sqrt(Arrays.stream(v).map(x -> (x - mean) * (x - mean)).sum() / v.length);
    }

    @Test
    void defaultIsKaimingUniformAAndZeroBSoTheAdapterStartsAsANoOp() {
        ToyModels.ToyModel base = llama();
        double[] before = Ref.run(base, ids);
        try (PeftModel model = PeftModel.create(base, LoraConfig.builder().r(4).targetModules("all-linear").build())) {
            assertArrayEquals(before, Ref.run(model, ids), "B = 0: exactly the base output");
            LoraLayer up = (LoraLayer) model.modules().get("model.layers.0.mlp.down_proj");
            double bound = 1 / Math.sqrt(2 * DIM);
            double[] a = Ref.vec(up.loraA("default"));
            assertTrue(Arrays.stream(a).allMatch(v -> Math.abs(v) <= bound));
            assertTrue(Arrays.stream(a).map(Math::abs).max().orElseThrow() > 0.8 * bound, "spread over ±1/sqrt(in)");
            assertTrue(Arrays.stream(Ref.vec(up.loraB("default"))).allMatch(v -> v == 0));
        }
    }

    @Test
    void gaussianHasStandardDeviationOneOverR() {
        try (PeftModel model = PeftModel.create(wide(1024, 3),
                LoraConfig.builder().r(4).initLoraWeights("gaussian").targetModules("layer").build())) {
            LoraLayer layer = (LoraLayer) model.modules().get("layer");
            assertEquals(0.25, std(Ref.vec(layer.loraA("default"))), 0.0125);
            assertTrue(Arrays.stream(Ref.vec(layer.loraB("default"))).allMatch(v -> v == 0));
        }
    }

    @Test
    void falseIsTorchsLinearDefaultForBothAndNotANoOp() {
        TestBlocks.Single base = wide(400, 300);
        NDArray x = manager.randomNormal(new Shape(2, 400));
        double[] before = Ref.run(base, x);
        try (PeftModel model = PeftModel.create(base, LoraConfig.builder().r(4).initLoraWeights(false)
                .loraBias(true).targetModules("layer").build())) {
            LoraLayer layer = (LoraLayer) model.modules().get("layer");
            // U(-b, b) has standard deviation b / sqrt(3)
            assertEquals(1 / Math.sqrt(400) / Math.sqrt(3), std(Ref.vec(layer.loraA("default"))), 0.003);
            assertEquals(0.5 / Math.sqrt(3), std(Ref.vec(layer.loraB("default"))), 0.02);
            double[] bias = Ref.vec(layer.adapterParameters("default").get("lora_B.default.bias").getArray());
            assertTrue(Arrays.stream(bias).allMatch(v -> Math.abs(v) <= 0.5) && Arrays.stream(bias).anyMatch(v -> v != 0));
            assertTrue(Ref.maxAbsDiff(before, Ref.run(model, x)) > 1e-3);
        }
    }

    @Test
    void embeddingsStartWithZeroAAndStandardNormalB() {
        ToyModels.ToyModel base = llama();
        double[] before = Ref.run(base, ids);
        try (PeftModel model = PeftModel.create(base, LoraConfig.builder().r(8).targetModules("embed_tokens").build())) {
            LoraEmbedding e = (LoraEmbedding) model.modules().get("model.embed_tokens");
            assertEquals(new Shape(8, VOCAB), e.loraA("default").getShape());
            assertEquals(new Shape(DIM, 8), e.loraB("default").getShape());
            assertTrue(Arrays.stream(Ref.vec(e.loraA("default"))).allMatch(v -> v == 0));
            assertEquals(1.0, std(Ref.vec(e.loraB("default"))), 0.2);
            assertArrayEquals(before, Ref.run(model, ids));
        }
    }

    @Test
    void pissaMovesThePrincipalComponentsIntoTheAdapter() {
        ToyModels.ToyModel base = llama();
        double[] before = Ref.run(base, ids);
        ai.djl.nn.Parameter qWeight = io.github.peft4j.core.module.ModuleTree.of(base).parameters()
                .get("model.layers.0.self_attn.q_proj.weight");
        double[][] w0 = Ref.mat(qWeight.getArray());
        LoraConfig config = LoraConfig.builder().r(3).loraAlpha(6).initLoraWeights("pissa").targetModules("q_proj", "v_proj")
                .build();
        try (PeftModel model = PeftModel.create(base, config)) {
            assertTrue(Ref.maxAbsDiff(before, Ref.run(model, ids)) < 1e-5, "adapted output at init = base output");
            LoraLinear q = (LoraLinear) model.modules().get("model.layers.0.self_attn.q_proj");
            double[][] residual = Ref.mat(qWeight.getArray());
            assertPrincipalSplit(w0, residual, Ref.mat(q.loraA("default")), Ref.mat(q.loraB("default")), 2.0, 1e-5);
        }
    }

    @Test
    void pissaOnFanInFanOutWorksOnTheTransposedWeight() {
        Conv1D conv = new Conv1D(manager, 7, 5, DataType.FLOAT32, 0.5f);
        double[][] stored = Ref.mat(conv.weight().getArray());
        TestBlocks.Single base = new TestBlocks.Single(conv);
        NDArray x = manager.randomNormal(new Shape(3, 7));
        double[] before = Ref.run(base, x);
        try (PeftModel model = PeftModel.create(base, LoraConfig.builder().r(2).initLoraWeights("pissa")
                .targetModules("layer").build())) {
            assertTrue(Ref.maxAbsDiff(before, Ref.run(model, x)) < 1e-5);
            LoraLinear layer = (LoraLinear) model.modules().get("layer");
            double[][] residual = Ref.mat(conv.weight().getArray());
            assertPrincipalSplit(Ref.t(stored), Ref.t(residual), Ref.mat(layer.loraA("default")),
                    Ref.mat(layer.loraB("default")), 4.0, 1e-5);
        }
    }

    /**
     * W = W' + s·B·A is the truncated SVD split: A's rows and B's columns are orthogonal with equal
     * squared norms (√S on both sides), the residual is orthogonal to both subspaces, and every
     * singular value kept is at least the largest left behind.
     */
    private static void assertPrincipalSplit(double[][] w, double[][] residual, double[][] a, double[][] b, double s,
            double tol) {
        double[][] rebuilt = Ref.add(residual, Ref.scale(Ref.mul(b, a), s));
        Ref.assertClose(Ref.flat(w), Ref.flat(rebuilt), tol, "W' + s·BA = W");
        double[][] aat = Ref.mul(a, Ref.t(a));
        double[][] btb = Ref.mul(Ref.t(b), b);
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a.length; j++) {
                if (i != j) {
                    assertEquals(0, aat[i][j], tol, "rows of A orthogonal");
                    assertEquals(0, btb[i][j], tol, "columns of B orthogonal");
                }
            }
            assertEquals(aat[i][i], btb[i][i], tol, "sqrt(S) on both sides");
        }
        for (double v : Ref.flat(Ref.mul(Ref.t(b), residual))) {
            assertEquals(0, v, 1e-4, "Bᵀ·W' = 0");
        }
        for (double v : Ref.flat(Ref.mul(residual, Ref.t(a)))) {
            assertEquals(0, v, 1e-4, "W'·Aᵀ = 0");
        }
        // the i-th singular value of s·BA is s·|A_i|·|B_i| = s·S_i/s
        double smallestKept = Double.MAX_VALUE;
        for (int i = 0; i < a.length; i++) {
            smallestKept = Math.min(smallestKept, s * aat[i][i]);
        }
        assertTrue(smallestKept >= spectralNorm(residual) - 1e-4, "kept " + smallestKept + " vs left "
                + spectralNorm(residual));
    }

    private static double spectralNorm(double[][] m) {
        double[] v = new double[m[0].length];
        Arrays.fill(v, 1);
        double norm = 0;
        for (int it = 0; it < 500; it++) {
            double[] u = new double[m.length];
            for (int i = 0; i < m.length; i++) {
                for (int j = 0; j < v.length; j++) {
                    u[i] += m[i][j] * v[j];
                }
            }
            double[] next = new double[v.length];
            for (int j = 0; j < v.length; j++) {
                for (int i = 0; i < m.length; i++) {
                    next[j] += m[i][j] * u[i];
                }
            }
            norm = Math.sqrt(Arrays.stream(next).map(x -> x * x).sum());
            for (int j = 0; j < v.length; j++) {
                v[j] = next[j] / norm;
            }
        }
        return Math.sqrt(norm);
    }

    @Test
    void fastPissaApproximatesTheExactSplitAndStaysAnIdentity() {
        // a weight with a clear spectral gap: sigma = 8, 4, 2 then 0.01s
        int out = 20;
        int in = 16;
        Random r = new Random(3);
        Matrix u = new Matrix(out, in);
        Matrix v = new Matrix(in, in);
        for (int i = 0; i < u.values().length; i++) {
            u.values()[i] = r.nextGaussian();
        }
        for (int i = 0; i < v.values().length; i++) {
            v.values()[i] = r.nextGaussian();
        }
        double[] sigma = new double[in];
        Arrays.fill(sigma, 0.01);
        sigma[0] = 8;
        sigma[1] = 4;
        sigma[2] = 2;
        Matrix w = u.qr().q().scaleColumns(sigma).times(v.qr().q().transpose());
        TestBlocks.Single base = wide(in, out);
        Tensors.assign(base.layer.getParameters().get("weight").getArray(), w.toNDArray(manager, DataType.FLOAT32));
        NDArray x = manager.randomNormal(new Shape(4, in));
        double[] before = Ref.run(base, x);
        try (PeftModel model = PeftModel.create(base, LoraConfig.builder().r(3).loraAlpha(3)
                .initLoraWeights("pissa_niter_2").targetModules("layer").build())) {
            assertTrue(Ref.maxAbsDiff(before, Ref.run(model, x)) < 1e-5);
            LoraLinear layer = (LoraLinear) model.modules().get("layer");
            double[][] ba = Ref.mul(Ref.mat(layer.loraB("default")), Ref.mat(layer.loraA("default")));
            Matrix.Svd exact = w.svd();
            double[][] best = Ref.mat(exact.u().leftColumns(3).scaleColumns(Arrays.copyOf(exact.s(), 3))
                    .times(exact.vt().topRows(3)).toNDArray(manager, DataType.FLOAT64));
            Ref.assertClose(Ref.flat(best), Ref.flat(ba), 1e-3, "randomised top-3 part");
        }
    }

    @Test
    void oloraPutsTheQrFactorsIntoBAndA() {
        ToyModels.ToyModel base = llama();
        double[] before = Ref.run(base, ids);
        try (PeftModel model = PeftModel.create(base, LoraConfig.builder().r(4).loraAlpha(8).initLoraWeights("olora")
                .targetModules("q_proj", "down_proj").build())) {
            assertTrue(Ref.maxAbsDiff(before, Ref.run(model, ids)) < 1e-5, "adapted output at init = base output");
            LoraLinear down = (LoraLinear) model.modules().get("model.layers.1.mlp.down_proj");
            double[][] a = Ref.mat(down.loraA("default"));
            double[][] b = Ref.mat(down.loraB("default"));
            double[][] btb = Ref.mul(Ref.t(b), b);
            for (int i = 0; i < 4; i++) {
                for (int j = 0; j < 4; j++) {
                    assertEquals(i == j ? 1 : 0, btb[i][j], 1e-5, "B = Q[:, :r] has orthonormal columns");
                    if (j < i) {
                        assertEquals(0, a[i][j], 0.0, "A = R[:r] is upper triangular");
                    }
                }
            }
        }
    }

    @Test
    void oloraOfFullRankLeavesNothingInTheBase() {
        TestBlocks.Single base = wide(3, 5);
        ai.djl.nn.Parameter weight = base.layer.getParameters().get("weight");
        double[][] w = Ref.mat(weight.getArray());
        try (PeftModel model = PeftModel.create(base, LoraConfig.builder().r(3).loraAlpha(3).initLoraWeights("olora")
                .targetModules("layer").build())) {
            LoraLinear layer = (LoraLinear) model.modules().get("layer");
            double[] residual = Ref.vec(weight.getArray());
            assertTrue(Arrays.stream(residual).allMatch(v -> Math.abs(v) < 1e-6), "W - Q·R = 0");
            Ref.assertClose(Ref.flat(w), Ref.flat(Ref.mul(Ref.mat(layer.loraB("default")), Ref.mat(layer.loraA("default")))),
                    1e-5, "B·A = W");
        }
    }

    @Test
    void unsupportedCombinationsAreRefused() {
        TestBlocks.Single conv = new TestBlocks.Single(new Conv1D(manager, 6, 4, DataType.FLOAT32, 0.5f));
        try (PeftModel model = PeftModel.wrap(conv)) {
            assertThrows(PeftCompatibilityException.class, () -> model.addAdapter("x",
                    LoraConfig.builder().initLoraWeights("olora").r(2).targetModules("layer").build()));
            assertTrue(model.adapterNames().isEmpty());
            PeftConfigException e = assertThrows(PeftConfigException.class, () -> model.addAdapter("y",
                    LoraConfig.builder().initLoraWeights("pissa").r(5).targetModules("layer").build()));
            assertTrue(e.getMessage().contains("r <= min(out, in) = 4"), e.getMessage());
        }
    }
}
