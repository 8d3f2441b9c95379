package io.github.peft4j.lora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.ToyModels;
import io.github.peft4j.core.testmodels.Conv1D;
import io.github.peft4j.core.testmodels.EmbeddingTable;
import io.github.peft4j.core.tuner.Tensors;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Gradients of LoRA tensors equal central finite differences of the loss, in double precision; base
 * weights receive none.
 */
class GradientTest {

    private static final double EPS = 1e-6;

    private NDManager manager;

    @BeforeEach
    void setUp() {
        manager = NDManager.newBaseManager();
        Engine.getInstance().setRandomSeed(17);
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    /** L = Σ y ⊙ c for a fixed random c. */
    private double loss(PeftModel model, NDArray x, NDArray c) {
        NDArray y = model.forward(new ParameterStore(manager, false), new NDList(x), false).head();
        return y.mul(c).sum().getDouble();
    }

    private Map<String, double[]> gradients(PeftModel model, NDArray x, NDArray c) {
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray y = model.forward(new ParameterStore(manager, false), new NDList(x), true).head();
            gc.backward(y.mul(c).sum());
        }
        Map<String, double[]> out = new java.util.LinkedHashMap<>();
        model.adapterParameters("default").forEach((k, p) -> {
            try (NDArray g = p.getArray().getGradient()) {
                out.put(k, g.toDoubleArray());
            }
        });
        return out;
    }

    private void assertGradientsMatchFiniteDifferences(PeftModel model, NDArray x, String... onlyThese) {
        NDArray c = manager.randomNormal(0f, 1f, model.forward(new ParameterStore(manager, false), new NDList(x), false)
                .head().getShape(), DataType.FLOAT64);
        Map<String, double[]> analytic = gradients(model, x, c);
        int checked = 0;
        for (Map.Entry<String, Parameter> e : model.adapterParameters("default").entrySet()) {
            if (onlyThese.length > 0 && java.util.Arrays.stream(onlyThese).noneMatch(e.getKey()::contains)) {
                continue;
            }
            NDArray p = e.getValue().getArray();
            assertEquals(DataType.FLOAT64, p.getDataType(), "adapter tensors take the F64 base's dtype");
            double[] values = p.toDoubleArray();
            double[] grad = analytic.get(e.getKey());
            for (int i = 0; i < values.length; i++) {
                double[] plus = values.clone();
                plus[i] += EPS;
                set(p, plus);
                double lPlus = loss(model, x, c);
                double[] minus = values.clone();
                minus[i] -= EPS;
                set(p, minus);
                double lMinus = loss(model, x, c);
                set(p, values);
                double fd = (lPlus - lMinus) / (2 * EPS);
                assertEquals(fd, grad[i], 1e-6 * Math.max(1, Math.abs(fd)), e.getKey() + "[" + i + "]");
                checked++;
            }
        }
        assertTrue(checked > 0, "no tensor checked");
    }

    private void set(NDArray p, double[] values) {
        try (NDArray v = manager.create(values, p.getShape())) {
            Tensors.assign(p, v);
        }
    }

    private static void assertBaseHasNoGradient(Block base, PeftModel model) {
        Map<Parameter, Boolean> adapter = new java.util.IdentityHashMap<>();
        model.adapterParameters("default").values().forEach(p -> adapter.put(p, true));
        int checked = 0;
        for (Parameter p : io.github.peft4j.core.module.ModuleTree.of(base).parameters().values()) {
            if (!adapter.containsKey(p)) {
                assertFalse(p.requiresGradient(), p.getName());
                assertFalse(p.getArray().hasGradient(), p.getName() + " has a gradient");
                checked++;
            }
        }
        assertTrue(checked > 0);
    }

    @Test
    void linearLayerWithLoraBias() {
        TestBlocks.Single base = new TestBlocks.Single(ToyModels.linear(4, true));
        base.initialize(manager, DataType.FLOAT64, new Shape(3, 5));
        try (PeftModel model = PeftModel.create(base, LoraConfig.builder().r(2).loraAlpha(3).initLoraWeights(false)
                .loraBias(true).targetModules("layer").build())) {
            NDArray x = manager.randomNormal(0f, 1f, new Shape(3, 5), DataType.FLOAT64);
            assertGradientsMatchFiniteDifferences(model, x);
            assertBaseHasNoGradient(base, model);
        }
    }

    @Test
    void fanInFanOutLayer() {
        TestBlocks.Single base = new TestBlocks.Single(new Conv1D(manager, 5, 3, DataType.FLOAT64, 0.5f));
        try (PeftModel model = PeftModel.create(base, LoraConfig.builder().r(2).useRslora(true).initLoraWeights(false)
                .targetModules("layer").build())) {
            NDArray x = manager.randomNormal(0f, 1f, new Shape(2, 4, 5), DataType.FLOAT64);
            assertGradientsMatchFiniteDifferences(model, x);
            assertBaseHasNoGradient(base, model);
        }
    }

    @Test
    void defaultInitialisationStillGivesBAGradient() {
        // B = 0 at start: dL/dA is zero, dL/dB is not; both must match finite differences
        TestBlocks.Single base = new TestBlocks.Single(ToyModels.linear(3, false));
        base.initialize(manager, DataType.FLOAT64, new Shape(2, 4));
        try (PeftModel model = PeftModel.create(base, LoraConfig.builder().r(2).targetModules("layer").build())) {
            NDArray x = manager.randomNormal(0f, 1f, new Shape(2, 4), DataType.FLOAT64);
            assertGradientsMatchFiniteDifferences(model, x);
        }
    }

    @Test
    void doraMagnitude() {
        // DoRA detaches the weight norm (paper §4.3), so only the magnitude's gradient is the true derivative.
        TestBlocks.Single base = new TestBlocks.Single(ToyModels.linear(4, true));
        base.initialize(manager, DataType.FLOAT64, new Shape(3, 5));
        try (PeftModel model = PeftModel.create(base, LoraConfig.builder().r(2).useDora(true).initLoraWeights(false)
                .targetModules("layer").build())) {
            NDArray x = manager.randomNormal(0f, 1f, new Shape(3, 5), DataType.FLOAT64);
            assertGradientsMatchFiniteDifferences(model, x, "lora_magnitude_vector");
            assertBaseHasNoGradient(base, model);
        }
    }

    @Test
    void embeddingLayer() {
        EmbeddingTable embed = new EmbeddingTable(manager, 7, 3, DataType.FLOAT64);
        TestBlocks.Single base = new TestBlocks.Single(embed);
        try (PeftModel model = PeftModel.create(base, LoraConfig.builder().r(2).initLoraWeights(false)
                .targetModules("layer").build())) {
            NDArray ids = manager.create(new long[] {0, 3, 3, 6, 1}, new Shape(1, 5));
            assertGradientsMatchFiniteDifferences(model, ids);
        }
    }
}
