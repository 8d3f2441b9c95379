package io.github.peft4j.prefix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.github.peft4j.core.PeftConfig;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.module.ModuleTree;
import io.github.peft4j.prefix.prefixtuning.PrefixTuningConfig;
import io.github.peft4j.prefix.prompttuning.PromptTuningConfig;
import io.github.peft4j.prefix.ptuning.PromptEncoderConfig;
import io.github.peft4j.prefix.ptuning.PromptEncoderReparameterizationType;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The model receives exactly what PEFT would give it, and uses it as the hook contracts say. */
class PromptHooksTest {

    private static final long[][] IDS = {{3, 7, 1, 0, 11}, {5, 5, 2, 9, 4}};
    private static final int[][] MASK = {{1, 1, 1, 1, 1}, {1, 1, 1, 0, 0}};
    private static final double TOL = 2e-5;

    private NDManager manager;

    @BeforeEach
    void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    private NDList inputs() {
        return new NDList(manager.create(IDS), manager.create(MASK));
    }

    static double[][] rows(NDArray a) {
        long[] shape = a.getShape().getShape();
        float[] flat = a.toFloatArray();
        double[][] out = new double[(int) shape[0]][(int) shape[1]];
        for (int r = 0; r < out.length; r++) {
            for (int c = 0; c < out[r].length; c++) {
                out[r][c] = flat[r * out[r].length + c];
            }
        }
        return out;
    }

    private static void assertLogits(double[][] expected, NDArray logits, int row) {
        float[] actual = logits.get(row).toFloatArray();
        int vocab = expected[0].length;
        assertEquals(expected.length * vocab, actual.length);
        for (int t = 0; t < expected.length; t++) {
            for (int v = 0; v < vocab; v++) {
                assertEquals(expected[t][v], actual[t * vocab + v], TOL, "row " + row + " position " + t + " token " + v);
            }
        }
    }

    private NDArray forward(PeftModel model) {
        return model.forward(new ParameterStore(manager, false), inputs(), false).head();
    }

    private static Parameter param(PeftModel model, String name) {
        return model.adapterParameters("default").get("prompt_encoder.default." + name);
    }

    @Test
    void prefixKeysAndValuesAreAttendedInEveryLayerAsPeftLaysThemOut() {
        ToyPromptModel base = ToyPromptModel.small(manager, 1);
        PeftConfig config = PrefixTuningConfig.builder().numVirtualTokens(3).build();
        try (PeftModel model = PeftModel.create(base, config)) {
            PrefixTuningConfig filled = (PrefixTuningConfig) model.config("default");
            assertEquals(8, filled.tokenDim(), "GQA: head_dim 4 · 2 key/value heads");
            assertEquals(2, filled.numAttentionHeads());
            assertEquals(2, filled.numLayers());
            assertEquals(8, filled.encoderHiddenSize());
            double[][] prefix = rows(param(model, "embedding.weight").getArray());
            assertEquals(2 * 2 * 8, prefix[0].length);
            NDArray logits = forward(model);
            assertEquals(new Shape(2, 5, 12), logits.getShape(), "prefix tuning keeps the sequence length");
            ToyReference ref = new ToyReference(base);
            for (int row = 0; row < 2; row++) {
                assertLogits(ref.logits(IDS[row], MASK[row], null, prefix), logits, row);
            }
            try (PeftModel.DisabledAdapters off = model.disableAdapters()) {
                assertLogits(ref.logits(IDS[1], MASK[1], null, null), forward(model), 1);
            }
        }
    }

    @Test
    void projectedPrefixIsTheMlpOfTheTable() {
        ToyPromptModel base = ToyPromptModel.small(manager, 2);
        PeftConfig config = PrefixTuningConfig.builder().numVirtualTokens(2).prefixProjection(true)
                .encoderHiddenSize(5).build();
        try (PeftModel model = PeftModel.create(base, config)) {
            double[][] table = rows(param(model, "embedding.weight").getArray());
            assertEquals(8, table[0].length, "the projected table has token_dim columns");
            double[][] hidden = EncoderReference.linear(table, param(model, "transform.0.weight"),
                    param(model, "transform.0.bias"));
            EncoderReference.tanh(hidden);
            double[][] prefix = EncoderReference.linear(hidden, param(model, "transform.2.weight"),
                    param(model, "transform.2.bias"));
            NDArray logits = forward(model);
            ToyReference ref = new ToyReference(base);
            for (int row = 0; row < 2; row++) {
                assertLogits(ref.logits(IDS[row], MASK[row], null, prefix), logits, row);
            }
        }
    }

    @Test
    void promptTuningPrependsTheTableToTheEmbeddings() {
        ToyPromptModel base = ToyPromptModel.small(manager, 3);
        try (PeftModel model = PeftModel.create(base, PromptTuningConfig.builder().numVirtualTokens(4).build())) {
            PromptTuningConfig filled = (PromptTuningConfig) model.config("default");
            assertEquals(16, filled.tokenDim(), "prompt tuning keeps the hidden size (no GQA rewrite)");
            assertEquals(4, filled.numAttentionHeads());
            double[][] prompts = rows(param(model, "embedding.weight").getArray());
            NDArray logits = forward(model);
            assertEquals(new Shape(2, 4 + 5, 12), logits.getShape());
            assertEquals(4, PromptAdapters.virtualTokens(model, "default"));
            ToyReference ref = new ToyReference(base);
            for (int row = 0; row < 2; row++) {
                assertLogits(ref.logits(IDS[row], MASK[row], prompts, null), logits, row);
            }
        }
    }

    @Test
    void pTuningSendsTheMlpOutput() {
        ToyPromptModel base = ToyPromptModel.small(manager, 4);
        PeftConfig config = PromptEncoderConfig.builder().numVirtualTokens(3).encoderHiddenSize(6).build();
        try (PeftModel model = PeftModel.create(base, config)) {
            Map<String, Parameter> p = model.adapterParameters("default");
            double[][] prompts = EncoderReference.mlp(rows(param(model, "embedding.weight").getArray()), p,
                    "prompt_encoder.default.mlp_head.", 3);
            NDArray logits = forward(model);
            ToyReference ref = new ToyReference(base);
            for (int row = 0; row < 2; row++) {
                assertLogits(ref.logits(IDS[row], MASK[row], prompts, null), logits, row);
            }
        }
    }

    @Test
    void pTuningSendsTheBidirectionalLstmOutput() {
        ToyPromptModel base = ToyPromptModel.small(manager, 5);
        PeftConfig config = PromptEncoderConfig.builder().numVirtualTokens(4).encoderHiddenSize(3)
                .encoderReparameterizationType(PromptEncoderReparameterizationType.LSTM).build();
        try (PeftModel model = PeftModel.create(base, config)) {
            Map<String, Parameter> p = model.adapterParameters("default");
            double[][] table = rows(param(model, "embedding.weight").getArray());
            double[][] lstm = EncoderReference.bidirectionalLstm(table, p, "prompt_encoder.default.lstm_head.", 2, 3);
            assertEquals(6, lstm[0].length);
            double[][] prompts = EncoderReference.mlp(lstm, p, "prompt_encoder.default.mlp_head.", 2);
            NDArray logits = forward(model);
            ToyReference ref = new ToyReference(base);
            for (int row = 0; row < 2; row++) {
                assertLogits(ref.logits(IDS[row], MASK[row], prompts, null), logits, row);
            }
        }
    }

    @Test
    void gradientsReachThePrefixOnlyAndMatchFiniteDifferences() {
        ToyPromptModel base = ToyPromptModel.small(manager, 6);
        try (PeftModel model = PeftModel.create(base, PrefixTuningConfig.builder().numVirtualTokens(2).build())) {
            Parameter prefix = param(model, "embedding.weight");
            assertEquals(model.trainableParameters().size(), 1);
            assertTrue(model.trainableParameters().get(0) == prefix);
            Engine.getInstance().setRandomSeed(9);
            NDArray probe = manager.randomNormal(new Shape(2, 5, 12));
            float[] grad;
            try (NDManager step = manager.newSubManager()) {
                NDList in = inputs();
                in.attach(step);
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray logits = model.forward(new ParameterStore(manager, false), in, true).head();
                    gc.backward(logits.mul(probe).sum());
                }
                NDArray g = prefix.getArray().getGradient();
                grad = g.toFloatArray();
                g.muli(0);
                g.close();
            }
            for (Parameter p : ModuleTree.of(model.baseModel()).parameters().values()) {
                assertFalse(p.getArray().hasGradient(), "a base weight got a gradient");
            }
            double[][] table = rows(prefix.getArray());
            double[][] w = rows(probe.reshape(10, 12));
            ToyReference ref = new ToyReference(base);
            int width = table[0].length;
            // one entry of each layer's key and value block
            for (int col : new int[] {1, 8 + 3, 16 + 5, 24 + 7}) {
                for (int row = 0; row < 2; row++) {
                    double h = 1e-4;
                    double saved = table[row][col];
                    table[row][col] = saved + h;
                    double up = objective(ref, table, w);
                    table[row][col] = saved - h;
                    double down = objective(ref, table, w);
                    table[row][col] = saved;
                    double numeric = (up - down) / (2 * h);
                    assertEquals(numeric, grad[row * width + col], 1e-3 * Math.max(1, Math.abs(numeric)),
                            "d/d prefix[" + row + "][" + col + "]");
                }
            }
        }
    }

    private static double objective(ToyReference ref, double[][] prefix, double[][] probe) {
        double sum = 0;
        for (int row = 0; row < 2; row++) {
            double[][] logits = ref.logits(IDS[row], MASK[row], null, prefix);
            for (int t = 0; t < logits.length; t++) {
                for (int v = 0; v < logits[t].length; v++) {
                    sum += logits[t][v] * probe[row * 5 + t][v];
                }
            }
        }
        return sum;
    }
}
