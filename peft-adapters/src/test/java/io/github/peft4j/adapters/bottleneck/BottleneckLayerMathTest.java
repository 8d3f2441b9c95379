package io.github.peft4j.adapters.bottleneck;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.peft4j.adapters.Reference;
import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.core.testmodels.Module;
import io.github.peft4j.core.testmodels.TunerChecks;
import io.github.peft4j.core.tuner.Tensors;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A single {@link BottleneckLayer} against the adapter math written out in double precision. */
class BottleneckLayerMathTest {

    private static final int IN = 6;
    private static final int OUT = 5;
    private static final int M = 3;
    private static final int ROWS = 4;

    private NDManager manager;
    private Linear projection;
    private NDArray x;

    @BeforeEach
    void setUp() {
        manager = NDManager.newBaseManager();
        Engine.getInstance().setRandomSeed(3);
        projection = Module.linear(manager, IN, OUT, true);
        Tensors.assign(projection.getParameters().get("bias").getArray(), manager.randomNormal(new Shape(OUT)));
        x = manager.randomNormal(new Shape(ROWS, IN));
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    private BottleneckLayer layerWith(String act, float scaling, String... adapters) {
        BottleneckLayer layer = new BottleneckLayer(projection);
        for (String a : adapters) {
            layer.addAdapter(a, new BottleneckLayer.Spec(false, NonLinearity.of(act), scaling), OUT, M, "bert", manager);
        }
        randomize(layer, adapters);
        return layer;
    }

    private void randomize(BottleneckLayer layer, String... adapters) {
        for (String a : adapters) {
            for (Parameter p : layer.adapterParameters(a).values()) {
                Tensors.assign(p.getArray(), manager.randomNormal(0, 0.7f, p.getArray().getShape(), DataType.FLOAT32));
            }
        }
    }

    private float[] forward(BottleneckLayer layer, NDArray input) {
        return layer.forward(new ParameterStore(manager, false), new NDList(input), false).singletonOrThrow().toFloatArray();
    }

    /** h + s·(W_up·act(W_down·z + b_down) + b_up), for one row. */
    private static double[] adapter(BottleneckLayer layer, String a, String act, double s, double[] h, double[] z) {
        Map<String, Parameter> p = layer.adapterParameters(a);
        double[] down = Reference.linear(z, Reference.matrix(p.get(BottleneckLayer.downWeight(a)).getArray()),
                Reference.vector(p.get(BottleneckLayer.downBias(a)).getArray()));
        for (int i = 0; i < down.length; i++) {
            down[i] = Reference.activation(act, down[i]);
        }
        double[] up = Reference.linear(down, Reference.matrix(p.get(BottleneckLayer.upWeight(a)).getArray()),
                Reference.vector(p.get(BottleneckLayer.upBias(a)).getArray()));
        double[] out = new double[h.length];
        for (int i = 0; i < h.length; i++) {
            out[i] = h[i] + s * up[i];
        }
        return out;
    }

    private double[] row(NDArray a, int r) {
        double[][] m = Reference.matrix(a);
        return m[r];
    }

    private double[] projected(int r) {
        return Reference.linear(row(x, r), Reference.matrix(projection.getParameters().get("weight").getArray()),
                Reference.vector(projection.getParameters().get("bias").getArray()));
    }

    private static void assertRowsClose(double[][] expected, float[] actual) {
        for (int r = 0; r < expected.length; r++) {
            for (int c = 0; c < expected[r].length; c++) {
                assertEquals(expected[r][c], actual[r * expected[r].length + c], 2e-5, "row " + r + " col " + c);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"relu", "gelu", "gelu_new", "swish", "tanh"})
    void sequentialAdapterIsResidualBottleneckOfTheOutput(String act) {
        BottleneckLayer layer = layerWith(act, 0.5f, "a");
        layer.setActiveAdapters(List.of("a"));
        double[][] expected = new double[ROWS][];
        for (int r = 0; r < ROWS; r++) {
            double[] h = projected(r);
            expected[r] = adapter(layer, "a", act, 0.5, h, h);
        }
        assertRowsClose(expected, forward(layer, x));
    }

    @Test
    void freshAdapterIsExactlyTheIdentity() {
        BottleneckLayer layer = new BottleneckLayer(projection);
        layer.addAdapter("a", new BottleneckLayer.Spec(false, NonLinearity.RELU, 4f), OUT, M, "mam_adapter", manager);
        layer.setActiveAdapters(List.of("a"));
        float[] base = projection.forward(new ParameterStore(manager, false), new NDList(x), false).singletonOrThrow().toFloatArray();
        assertArrayEquals(base, forward(layer, x), 0f);
    }

    @Test
    void stackAppliesAdaptersInSequence() {
        BottleneckLayer layer = layerWith("relu", 1f, "a", "b");
        layer.setActiveAdapters(List.of("a", "b"));
        layer.setComposition(Composition.stack("a", "b"));
        double[][] expected = new double[ROWS][];
        for (int r = 0; r < ROWS; r++) {
            double[] afterA = adapter(layer, "a", "relu", 1, projected(r), projected(r));
            expected[r] = adapter(layer, "b", "relu", 1, afterA, afterA);
        }
        float[] stacked = forward(layer, x);
        assertRowsClose(expected, stacked);
        // the default for several active adapters is the same stack, in activation order
        layer.setComposition(null);
        assertArrayEquals(stacked, forward(layer, x), 0f);
        layer.setActiveAdapters(List.of("b", "a"));
        double[][] reversed = new double[ROWS][];
        for (int r = 0; r < ROWS; r++) {
            double[] afterB = adapter(layer, "b", "relu", 1, projected(r), projected(r));
            reversed[r] = adapter(layer, "a", "relu", 1, afterB, afterB);
        }
        assertRowsClose(reversed, forward(layer, x));
    }

    @Test
    void averageIsTheWeightedMeanOfTheAdapterOutputs() {
        BottleneckLayer layer = layerWith("tanh", 2f, "a", "b");
        layer.setActiveAdapters(List.of("a", "b"));
        layer.setComposition(Composition.average(List.of("a", "b"), 3, 1)); // normalised to 0.75, 0.25
        double[][] expected = new double[ROWS][];
        for (int r = 0; r < ROWS; r++) {
            double[] h = projected(r);
            double[] fa = adapter(layer, "a", "tanh", 2, h, h);
            double[] fb = adapter(layer, "b", "tanh", 2, h, h);
            expected[r] = new double[OUT];
            for (int c = 0; c < OUT; c++) {
                expected[r][c] = 0.75 * fa[c] + 0.25 * fb[c];
            }
        }
        assertRowsClose(expected, forward(layer, x));
    }

    @Test
    void nestedCompositionStacksOneAdapterOnAnAverage() {
        BottleneckLayer layer = layerWith("relu", 1f, "lang", "t1", "t2");
        layer.setActiveAdapters(List.of("lang", "t1", "t2"));
        layer.setComposition(Composition.stack(Composition.adapter("lang"), Composition.average("t1", "t2")));
        double[][] expected = new double[ROWS][];
        for (int r = 0; r < ROWS; r++) {
            double[] l = adapter(layer, "lang", "relu", 1, projected(r), projected(r));
            double[] f1 = adapter(layer, "t1", "relu", 1, l, l);
            double[] f2 = adapter(layer, "t2", "relu", 1, l, l);
            expected[r] = new double[OUT];
            for (int c = 0; c < OUT; c++) {
                expected[r][c] = 0.5 * f1[c] + 0.5 * f2[c];
            }
        }
        assertRowsClose(expected, forward(layer, x));
    }

    /** A layer with one random parallel adapter "p" (relu, scaling 4) reading the 7 inputs of {@code tap}'s module. */
    private BottleneckLayer parallelLayerReading(BottleneckInputTap tap) {
        BottleneckLayer layer = new BottleneckLayer(projection);
        layer.useInput(tap, "block.first");
        layer.addAdapter("p", new BottleneckLayer.Spec(true, NonLinearity.RELU, 4f), 7, M, "mam_adapter", manager);
        randomize(layer, "p");
        layer.setActiveAdapters(List.of("p"));
        return layer;
    }

    @Test
    void parallelAdapterReadsTheSubBlockInput() {
        Linear first = Module.linear(manager, 7, IN, true);
        BottleneckInputTap tap = new BottleneckInputTap(first);
        BottleneckLayer layer = parallelLayerReading(tap);
        NDArray blockInput = manager.randomNormal(new Shape(ROWS, 7));
        ParameterStore ps = new ParameterStore(manager, false);
        NDArray inner = tap.forward(ps, new NDList(blockInput), false).singletonOrThrow();
        assertArrayEquals(first.forward(ps, new NDList(blockInput), false).singletonOrThrow().toFloatArray(),
                inner.toFloatArray(), 0f, "the tap leaves its module's output alone");
        float[] out = layer.forward(ps, new NDList(x), false).singletonOrThrow().toFloatArray();
        double[][] expected = new double[ROWS][];
        for (int r = 0; r < ROWS; r++) {
            expected[r] = adapter(layer, "p", "relu", 4, projected(r), row(blockInput, r));
        }
        assertRowsClose(expected, out);
        // the input is handed over once: a second pass without the tap running first is refused
        PeftCompatibilityException e = assertThrows(PeftCompatibilityException.class, () -> forward(layer, x));
        assertTrue(e.getMessage().contains("block.first did not run before this layer"), e.getMessage());
    }

    @Test
    void anInputLeftByAForwardCallThatFailedHalfWayIsNotHandedToTheNextCall() {
        Linear first = Module.linear(manager, 7, IN, true);
        BottleneckInputTap tap = new BottleneckInputTap(first);
        BottleneckLayer layer = parallelLayerReading(tap);
        ParameterStore ps = new ParameterStore(manager, false);
        NDArray stale = manager.randomNormal(new Shape(ROWS, 7));
        NDArray blockInput = manager.randomNormal(new Shape(ROWS, 7));
        tap.forward(ps, new NDList(stale), false, new PairList<>()); // its call never reaches the adapter layer
        PairList<String, Object> call = new PairList<>();
        tap.forward(ps, new NDList(blockInput), false, call);
        float[] out = layer.forward(ps, new NDList(x), false, call).singletonOrThrow().toFloatArray();
        double[][] expected = new double[ROWS][];
        for (int r = 0; r < ROWS; r++) {
            expected[r] = adapter(layer, "p", "relu", 4, projected(r), row(blockInput, r));
        }
        assertRowsClose(expected, out);
    }

    @Test
    void initialisationsFollowAdapterHub() {
        BottleneckLayer layer = new BottleneckLayer(Module.linear(manager, 400, 400, true));
        BottleneckLayer.Spec spec = new BottleneckLayer.Spec(false, NonLinearity.RELU, 1f);
        layer.addAdapter("bert", spec, 400, 100, "bert", manager);
        layer.addAdapter("mam", spec, 400, 100, "mam_adapter", manager);
        layer.addAdapter("houlsby", spec, 400, 100, "houlsby", manager);
        // normal(0, 0.02)
        NDArray bert = layer.adapterParameters("bert").get(BottleneckLayer.downWeight("bert")).getArray();
        assertEquals(0.02, Math.sqrt(bert.square().mean().getFloat()), 0.001);
        // kaiming_uniform(a=√5): U(-1/√fan_in, 1/√fan_in), std = bound/√3
        NDArray mam = layer.adapterParameters("mam").get(BottleneckLayer.downWeight("mam")).getArray();
        assertTrue(mam.abs().max().getFloat() <= 0.05f);
        assertEquals(0.05 / Math.sqrt(3), Math.sqrt(mam.square().mean().getFloat()), 0.001);
        // N(0, 0.01) truncated to ±0.02: std of a ±2σ truncated normal is 0.8796·σ
        NDArray houlsby = layer.adapterParameters("houlsby").get(BottleneckLayer.downWeight("houlsby")).getArray();
        assertTrue(houlsby.abs().max().getFloat() <= 0.02f);
        assertEquals(0.008796, Math.sqrt(houlsby.square().mean().getFloat()), 0.0003);
        for (String a : List.of("bert", "mam", "houlsby")) {
            for (String zero : List.of(BottleneckLayer.downBias(a), BottleneckLayer.upWeight(a), BottleneckLayer.upBias(a))) {
                assertEquals(0f, layer.adapterParameters(a).get(zero).getArray().abs().sum().getFloat(), zero);
            }
        }
    }

    /** Gradients of sum(out · weights) for every adapter tensor, optionally with GC churn before backward. */
    private Map<String, float[]> gradients(BottleneckLayer layer, String adapter, NDArray weights, boolean churn) {
        Map<String, float[]> out = new java.util.TreeMap<>();
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray y = layer.forward(new ParameterStore(manager, false), new NDList(x), true).singletonOrThrow();
            NDArray loss = y.mul(weights).sum();
            if (churn) {
                TunerChecks.churnDirectMemory();
            }
            gc.backward(loss);
        }
        for (Map.Entry<String, Parameter> e : layer.adapterParameters(adapter).entrySet()) {
            NDArray g = e.getValue().getArray().getGradient();
            out.put(e.getKey(), g.toFloatArray());
            g.muli(0);
        }
        return out;
    }

    private double lossAt(BottleneckLayer layer, NDArray weights) {
        return layer.forward(new ParameterStore(manager, false), new NDList(x), false).singletonOrThrow()
                .mul(weights).sum().getFloat();
    }

    @ParameterizedTest
    @ValueSource(strings = {"gelu_new", "swish", "relu"})
    void gradientsMatchFiniteDifferencesAndSurviveGarbageCollection(String act) {
        BottleneckLayer layer = layerWith(act, 0.7f, "a", "b");
        layer.setActiveAdapters(List.of("a", "b"));
        layer.setComposition(Composition.average(List.of("a", "b"), 2, 1));
        for (Parameter p : layer.adapterParameters("a").values()) {
            p.getArray().setRequiresGradient(true);
        }
        NDArray weights = manager.randomNormal(new Shape(ROWS, OUT));
        Map<String, float[]> plain = gradients(layer, "a", weights, false);
        Map<String, float[]> churned = gradients(layer, "a", weights, true);
        for (String k : plain.keySet()) {
            assertArrayEquals(plain.get(k), churned.get(k), 0f, k + ": backward must not read freed memory");
        }
        // central differences on a few entries of each tensor
        double h = 1e-2;
        for (Map.Entry<String, Parameter> e : layer.adapterParameters("a").entrySet()) {
            NDArray value = e.getValue().getArray();
            float[] base = value.toFloatArray();
            for (int i = 0; i < Math.min(3, base.length); i++) {
                float[] plus = base.clone();
                plus[i] += (float) h;
                Tensors.assign(value, manager.create(plus, value.getShape()));
                double up = lossAt(layer, weights);
                float[] minus = base.clone();
                minus[i] -= (float) h;
                Tensors.assign(value, manager.create(minus, value.getShape()));
                double down = lossAt(layer, weights);
                Tensors.assign(value, manager.create(base, value.getShape()));
                double numeric = (up - down) / (2 * h);
                assertEquals(numeric, plain.get(e.getKey())[i], 2e-2 * Math.max(1, Math.abs(numeric)), e.getKey() + "[" + i + "]");
            }
        }
    }
}
