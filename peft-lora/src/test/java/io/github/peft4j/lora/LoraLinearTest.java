package io.github.peft4j.lora;

import io.github.peft4j.lora.layer.LoraLayer;
import io.github.peft4j.lora.layer.LoraLinear;
import io.github.peft4j.lora.layer.LoraSettings;
import static io.github.peft4j.lora.Ref.add;
import static io.github.peft4j.lora.Ref.assertClose;
import static io.github.peft4j.lora.Ref.linear;
import static io.github.peft4j.lora.Ref.mat;
import static io.github.peft4j.lora.Ref.mul;
import static io.github.peft4j.lora.Ref.scale;
import static io.github.peft4j.lora.Ref.t;
import static io.github.peft4j.lora.Ref.vec;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.ToyModels;
import io.github.peft4j.core.testmodels.Conv1D;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@SuppressWarnings("try") // disableAdapters() handles are held, not used
class LoraLinearTest {

    private NDManager manager;

    @BeforeEach
    void setUp() {
        manager = NDManager.newBaseManager();
        Engine.getInstance().setRandomSeed(3);
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    private TestBlocks.Single linearBase(int in, int out) {
        Linear lin = ToyModels.linear(out, true);
        TestBlocks.Single base = new TestBlocks.Single(lin);
        base.initialize(manager, DataType.FLOAT32, new Shape(2, in));
        return base;
    }

    private static double[][] weight(TestBlocks.Single base) {
        return mat(base.layer.getParameters().get("weight").getArray());
    }

    private static double[] bias(TestBlocks.Single base) {
        return vec(base.layer.getParameters().get("bias").getArray());
    }

    private static double[][] loraPath(double[][] x, LoraLinear layer, String adapter) {
        double[][] a = mat(layer.loraA(adapter));
        double[][] b = mat(layer.loraB(adapter));
        return scale(mul(mul(x, t(a)), t(b)), layer.settings(adapter).scaling());
    }

    @Test
    void forwardIsBasePlusScaledLowRankPath() {
        TestBlocks.Single base = linearBase(5, 4);
        double[][] w = weight(base);
        double[] b = bias(base);
        LoraConfig config = LoraConfig.builder().r(3).loraAlpha(6).initLoraWeights(false).targetModules("layer").build();
        try (PeftModel model = PeftModel.create(base, config)) {
            LoraLinear layer = (LoraLinear) model.modules().get("layer");
            assertEquals(2.0, layer.settings("default").scaling());
            assertEquals(new Shape(3, 5), layer.loraA("default").getShape());
            assertEquals(new Shape(4, 3), layer.loraB("default").getShape());
            NDArray x = manager.randomNormal(new Shape(2, 5));
            double[][] expected = add(linear(mat(x), w, b), loraPath(mat(x), layer, "default"));
            assertClose(Ref.flat(expected), Ref.run(model, x), 1e-5, "y");
        }
    }

    @Test
    void rsloraScalesByAlphaOverSquareRootOfRank() {
        LoraConfig config = LoraConfig.builder().r(4).loraAlpha(6).useRslora(true).initLoraWeights(false)
                .targetModules("layer").build();
        try (PeftModel model = PeftModel.create(linearBase(5, 4), config)) {
            LoraLinear layer = (LoraLinear) model.modules().get("layer");
            assertEquals(3.0, layer.settings("default").scaling(), 1e-15);
            NDArray x = manager.randomNormal(new Shape(3, 5));
            double[] base;
            try (PeftModel.DisabledAdapters off = model.disableAdapters()) {
                base = Ref.run(model, x);
            }
            double[] adapted = Ref.run(model, x);
            double[] lora = Ref.flat(loraPath(mat(x), layer, "default"));
            for (int i = 0; i < base.length; i++) {
                assertEquals(base[i] + lora[i], adapted[i], 1e-5);
            }
        }
    }

    @Test
    void fanInFanOutLayersUseTheTransposedWeightAndCorrectTheConfig() {
        Conv1D conv = new Conv1D(manager, 5, 4, DataType.FLOAT32, 0.5f);
        TestBlocks.Single base = new TestBlocks.Single(conv);
        double[][] w = mat(conv.weight().getArray()); // [in, out]
        double[] b = vec(conv.bias().orElseThrow().getArray());
        LoraConfig config = LoraConfig.builder().r(2).loraAlpha(4).initLoraWeights(false).targetModules("layer").build();
        try (PeftModel model = PeftModel.create(base, config)) {
            assertTrue(((LoraConfig) model.config("default")).fanInFanOut(), "PEFT forces fan_in_fan_out for Conv1D");
            LoraLinear layer = (LoraLinear) model.modules().get("layer");
            assertTrue(layer.fanInFanOut());
            assertEquals(new Shape(2, 5), layer.loraA("default").getShape());
            assertEquals(new Shape(4, 2), layer.loraB("default").getShape());
            NDArray x = manager.randomNormal(new Shape(3, 5));
            double[][] expected = add(linear(mat(x), t(w), b), loraPath(mat(x), layer, "default"));
            assertClose(Ref.flat(expected), Ref.run(model, x), 1e-5, "y");
            // the delta merge adds is stored [in, out] as well
            double[][] delta = mat(layer.deltaWeight("default"));
            double[][] ba = scale(mul(mat(layer.loraB("default")), mat(layer.loraA("default"))), 2.0);
            assertClose(Ref.flat(t(ba)), Ref.flat(delta), 1e-6, "delta");
        }
    }

    @Test
    void severalActiveAdaptersAreSummed() {
        TestBlocks.Single base = linearBase(6, 3);
        double[][] w = weight(base);
        double[] b = bias(base);
        try (PeftModel model = PeftModel.create(base, LoraConfig.builder().r(2).initLoraWeights(false)
                .targetModules("layer").build())) {
            model.addAdapter("second", LoraConfig.builder().r(4).loraAlpha(2).initLoraWeights(false)
                    .targetModules("layer").build());
            model.setActiveAdapters("default", "second");
            LoraLinear layer = (LoraLinear) model.modules().get("layer");
            NDArray x = manager.randomNormal(new Shape(2, 6));
            double[][] expected = add(add(linear(mat(x), w, b), loraPath(mat(x), layer, "default")),
                    loraPath(mat(x), layer, "second"));
            assertClose(Ref.flat(expected), Ref.run(model, x), 1e-5, "sum of two adapters");
            assertEquals(2 * (6 + 3) + 4 * (6 + 3), model.countParameters().trainable(), "both active adapters train");
        }
    }

    @Test
    void rankAndAlphaPatternsApplyPerModule() {
        ToyModels.ToyModel base = ToyModels.causalLm(manager, 11, 8, 2, 5);
        LoraConfig config = LoraConfig.builder().r(2).loraAlpha(4).targetModules("q_proj", "v_proj")
                .rankPattern(Map.of("layers\\.1\\.self_attn\\.q_proj", 6))
                .alphaPattern(Map.of("v_proj", 3.0))
                .build();
        try (PeftModel model = PeftModel.create(base, config)) {
            LoraSettings q0 = ((LoraLayer) model.modules().get("model.layers.0.self_attn.q_proj")).settings("default");
            LoraSettings q1 = ((LoraLayer) model.modules().get("model.layers.1.self_attn.q_proj")).settings("default");
            LoraSettings v1 = ((LoraLayer) model.modules().get("model.layers.1.self_attn.v_proj")).settings("default");
            assertEquals(2, q0.r());
            assertEquals(2.0, q0.scaling());
            assertEquals(6, q1.r());
            assertEquals(4.0 / 6, q1.scaling(), 1e-15);
            assertEquals(2, v1.r());
            assertEquals(1.5, v1.scaling());
            // PEFT's count: r·(in + out) per adapted linear
            assertEquals(2 * 16 + 6 * 16 + 2 * 16 + 2 * 16, model.countParameters().trainable());
        }
    }

    @Test
    void dropoutActsOnTheLoraPathOnlyAndOnlyInTraining() {
        int n = 6;
        TestBlocks.Single base = linearBase(n, n);
        double[][] w = weight(base);
        double[] b = bias(base);
        LoraConfig config = LoraConfig.builder().r(n).loraAlpha(n).loraDropout(0.5).targetModules("layer").build();
        try (PeftModel model = PeftModel.create(base, config)) {
            LoraLinear layer = (LoraLinear) model.modules().get("layer");
            // A = B = I and scaling 1 make the LoRA path the identity, so it shows the dropout mask itself.
            layer.assignAB("default", manager.eye(n), manager.eye(n));
            NDArray x = manager.randomNormal(new Shape(8, n));
            double[][] baseOut = linear(mat(x), w, b);
            double[] xs = vec(x);

            double[] eval = Ref.run(model, x);
            assertClose(Ref.flat(add(baseOut, mat(x))), eval, 1e-5, "inference: no dropout");

            Engine.getInstance().setRandomSeed(42);
            double[] train = vec(model.forward(new ParameterStore(manager, false), new NDList(x), true).head());
            Engine.getInstance().setRandomSeed(42);
            double[] again = vec(model.forward(new ParameterStore(manager, false), new NDList(x), true).head());
            assertArrayEquals(train, again, "dropout is seeded by the engine generator");
            double[] flatBase = Ref.flat(baseOut);
            int dropped = 0;
            int kept = 0;
            for (int i = 0; i < train.length; i++) {
                double lora = train[i] - flatBase[i];
                if (Math.abs(lora) < 1e-5) {
                    dropped++;
                } else {
                    assertEquals(2 * xs[i], lora, 1e-4, "kept entries are rescaled by 1/(1-p)");
                    kept++;
                }
            }
            assertTrue(dropped > 5 && kept > 5, "dropped " + dropped + ", kept " + kept);
        }
    }

    @Test
    void dropoutScalesTheLowRankPathButNotLoraBiasInForwardAndGradients() {
        int n = 6;
        int rows = 8;
        TestBlocks.Single base = new TestBlocks.Single(ToyModels.linear(n, true));
        base.initialize(manager, DataType.FLOAT64, new Shape(2, n));
        double[][] w = weight(base);
        double[] b = bias(base);
        // scaling 2, p = 0.5: kept entries of the low-rank path are multiplied by 2 / (1 - 0.5) = 4
        LoraConfig config = LoraConfig.builder().r(n).loraAlpha(2 * n).loraDropout(0.5).loraBias(true)
                .targetModules("layer").build();
        try (PeftModel model = PeftModel.create(base, config)) {
            LoraLinear layer = (LoraLinear) model.modules().get("layer");
            NDArray loraBias = layer.adapterParameters("default").get("lora_B.default.bias").getArray();
            NDArray x = manager.randomNormal(0f, 1f, new Shape(rows, n), DataType.FLOAT64);
            double[][] xs = mat(x);
            double[][] baseOut = linear(xs, w, b);

            // A = B = I, no bias: the path shows the mask, 4·x where kept
            layer.assignAB("default", manager.eye(n, n, 0, DataType.FLOAT64), manager.eye(n, n, 0, DataType.FLOAT64));
            io.github.peft4j.core.tuner.Tensors.assign(loraBias, manager.zeros(new Shape(n), DataType.FLOAT64));
            Engine.getInstance().setRandomSeed(42);
            double[][] path = Ref.add(mat(model.forward(new ParameterStore(manager, false), new NDList(x), true).head()),
                    scale(baseOut, -1));
            double[][] h = new double[rows][n];
            int kept = 0;
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < n; j++) {
                    if (Math.abs(path[i][j]) > 1e-12) {
                        assertEquals(4 * xs[i][j], path[i][j], 1e-12, "kept entries");
                        h[i][j] = xs[i][j];
                        kept++;
                    }
                }
            }
            assertTrue(kept > 5 && kept < rows * n - 5, "kept " + kept);

            // random A, B and bias under the same seed (same mask): y = base + 4·(x⊙m)·Aᵀ·Bᵀ + 2·bias
            NDArray a = manager.randomNormal(0f, 1f, new Shape(n, n), DataType.FLOAT64);
            NDArray bb = manager.randomNormal(0f, 1f, new Shape(n, n), DataType.FLOAT64);
            NDArray bias = manager.randomNormal(0f, 1f, new Shape(n), DataType.FLOAT64);
            layer.assignAB("default", a, bb);
            io.github.peft4j.core.tuner.Tensors.assign(loraBias, bias);
            NDArray g = manager.randomNormal(0f, 1f, new Shape(rows, n), DataType.FLOAT64);
            Engine.getInstance().setRandomSeed(42);
            double[] y;
            try (ai.djl.training.GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray out = model.forward(new ParameterStore(manager, false), new NDList(x), true).head();
                y = vec(out);
                gc.backward(out.mul(g).sum());
            }
            double[][] down = mul(h, t(mat(a)));
            double[] biasTerm = vec(bias.mul(2));
            double[][] expected = add(baseOut, scale(mul(down, t(mat(bb))), 4));
            for (double[] row : expected) {
                for (int j = 0; j < n; j++) {
                    row[j] += biasTerm[j];
                }
            }
            assertClose(Ref.flat(expected), y, 1e-12, "forward");
            double[][] gs = mat(g);
            assertClose(scale(mul(t(gs), down), 4), layer.loraB("default").getGradient(), 1e-12, "dL/dB");
            assertClose(scale(mul(t(mul(gs, mat(bb))), h), 4), layer.loraA("default").getGradient(), 1e-12, "dL/dA");
            double[] biasGrad = new double[n];
            for (double[] row : gs) {
                for (int j = 0; j < n; j++) {
                    biasGrad[j] += 2 * row[j];
                }
            }
            assertClose(biasGrad, vec(loraBias.getGradient()), 1e-12, "dL/dbias: scaling only, not 1/(1-p)");
        }
    }

    @Test
    void newAdaptersAreInactiveAndFrozenUntilActivated() {
        try (PeftModel model = PeftModel.create(linearBase(4, 4), LoraConfig.builder().targetModules("layer").build())) {
            model.addAdapter("other", LoraConfig.builder().r(2).targetModules("layer").build());
            LoraLinear layer = (LoraLinear) model.modules().get("layer");
            assertFalse(layer.adapterParameters("other").values().iterator().next().requiresGradient());
            assertEquals(8 * (4 + 4), model.countParameters().trainable());
            model.setActiveAdapters("other");
            assertEquals(2 * (4 + 4), model.countParameters().trainable());
        }
    }

    @Test
    void doraForwardIsPeftsMagnitudeAndDirectionFormula() {
        TestBlocks.Single base = linearBase(5, 4);
        double[][] w = weight(base);
        double[] b = bias(base);
        LoraConfig config = LoraConfig.builder().r(2).loraAlpha(3).useDora(true).initLoraWeights(false)
                .targetModules("layer").build();
        try (PeftModel model = PeftModel.create(base, config)) {
            LoraLinear layer = (LoraLinear) model.modules().get("layer");
            double s = layer.settings("default").scaling();
            double[][] delta = scale(mul(mat(layer.loraB("default")), mat(layer.loraA("default"))), s);
            double[][] adapted = add(w, delta);
            NDArray magnitude = layer.adapterParameters("default").get("lora_magnitude_vector.default.weight").getArray();
            double[] m = vec(magnitude);
            for (int o = 0; o < 4; o++) {
                double norm = 0;
                for (double v : adapted[o]) {
                    norm += v * v;
                }
                assertEquals(Math.sqrt(norm), m[o], 1e-5, "magnitude starts as the row norm of W + s·BA");
            }
            magnitude.muli(manager.create(new float[] {0.5f, 1.5f, 2f, 0.8f}));
            m = vec(magnitude);
            NDArray x = manager.randomNormal(new Shape(3, 5));
            double[][] xs = mat(x);
            double[][] baseNoBias = linear(xs, w, null);
            double[][] lora = loraPath(xs, layer, "default");
            double[][] expected = linear(xs, w, b);
            for (int i = 0; i < expected.length; i++) {
                for (int o = 0; o < 4; o++) {
                    double norm = 0;
                    for (double v : adapted[o]) {
                        norm += v * v;
                    }
                    double ratio = m[o] / Math.sqrt(norm);
                    expected[i][o] += (ratio - 1) * baseNoBias[i][o] + ratio * lora[i][o];
                }
            }
            assertClose(Ref.flat(expected), Ref.run(model, x), 1e-5, "DoRA output");
            double[] training = vec(model.forward(new ParameterStore(manager, false), new NDList(x), true).head());
            assertClose(Ref.flat(expected), training, 1e-5, "without dropout training computes the same");
        }
    }

    @Test
    void deletingAnAdapterRemovesItsTensorsAndItsContribution() {
        TestBlocks.Single base = linearBase(5, 4);
        NDArray x = manager.randomNormal(new Shape(2, 5));
        double[] plain = Ref.run(base, x);
        try (PeftModel model = PeftModel.create(base, LoraConfig.builder().r(2).initLoraWeights(false)
                .targetModules("layer").build())) {
            model.addAdapter("keep", LoraConfig.builder().r(3).initLoraWeights(false).targetModules("layer").build());
            model.setActiveAdapters("default", "keep");
            LoraLinear layer = (LoraLinear) model.modules().get("layer");
            double[] keepOnly = plain.clone();
            double[] lora = Ref.flat(loraPath(mat(x), layer, "keep"));
            for (int i = 0; i < keepOnly.length; i++) {
                keepOnly[i] += lora[i];
            }
            model.deleteAdapter("default");
            assertEquals(java.util.List.of("keep"), model.activeAdapters());
            assertTrue(layer.adapterParameters("default").isEmpty());
            assertEquals(java.util.Set.of("keep"), layer.allSettings().keySet());
            assertClose(keepOnly, Ref.run(model, x), 1e-5, "only 'keep' remains");
        }
    }
}
