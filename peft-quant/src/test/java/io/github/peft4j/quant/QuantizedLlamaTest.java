package io.github.peft4j.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.module.LinearLike;
import io.github.peft4j.core.module.ModuleTree;
import io.github.peft4j.core.targeting.ModuleKind;
import io.github.peft4j.models.PretrainedModel;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A quantized tiny Llama (peft-models) against its F32 self: which modules are quantized, how far the
 * logits move, and how many bytes the frozen weights take.
 */
class QuantizedLlamaTest {

    private NDManager manager;

    @BeforeEach
    void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    /** Relative Frobenius error of every quantized weight, measured before the F32 weights are released. */
    private static double worstWeightError(Block block, QuantizationConfig config, NDManager manager) {
        double worst = 0;
        for (ModuleTree.Module m : ModuleTree.of(block).modules().values()) {
            if (m.parent() == null || m.path().equals("lm_head")) {
                continue;
            }
            LinearLike linear = LinearLike.of(m.block()).orElse(null);
            if (linear != null) {
                float[] w = linear.weight().getArray().toFloatArray();
                try (NDManager tmp = manager.newSubManager()) {
                    QuantizedLinear q = Quantizer.quantizeLinear(linear, config);
                    worst = Math.max(worst, TinyLlamas.relativeError(q.dequantizedWeight(tmp).toFloatArray(), w));
                    q.close();
                }
            }
        }
        return worst;
    }

    @Test
    void logitsStayCloseAndFrozenBytesShrink() {
        Map<String, QuantizationConfig> configs = new LinkedHashMap<>();
        configs.put("int8", QuantizationConfig.of(QuantizationType.INT8));
        configs.put("nf4", QuantizationConfig.of(QuantizationType.NF4));
        configs.put("nf4+dq", QuantizationConfig.builder().type(QuantizationType.NF4).doubleQuant(true).build());
        Map<String, Double> minShrink = Map.of("int8", 3.5, "nf4", 6.0, "nf4+dq", 6.0);
        NDArray ids = TinyLlamas.randomIds(manager, 32, 2, 16, 5);
        float[] reference;
        long f32Bytes;
        try (PretrainedModel f32 = TinyLlamas.create(TinyLlamas.linearHeavy(), manager, 42)) {
            reference = TinyLlamas.logits(f32.block(), manager, ids);
            f32Bytes = MemoryReport.ofBase(f32.block()).frozenBytes();
        }
        for (Map.Entry<String, QuantizationConfig> e : configs.entrySet()) {
            try (PretrainedModel model = TinyLlamas.create(TinyLlamas.linearHeavy(), manager, 42)) {
                double weightError = worstWeightError(model.block(), e.getValue(), manager);
                List<String> done = Quantizer.quantize(model.block(), e.getValue());
                assertEquals(14, done.size(), "7 projections in each of 2 layers, lm_head skipped: " + done);
                assertFalse(done.contains("lm_head"));
                ModuleTree tree = ModuleTree.of(model.block());
                assertTrue(tree.get("model.layers.0.self_attn.q_proj") instanceof QuantizedLinear);
                assertEquals(ModuleKind.LINEAR, ModuleKind.of(tree.get("model.layers.1.mlp.down_proj"), false));
                assertEquals(ai.djl.ndarray.types.DataType.FLOAT32,
                        tree.parameters().get("model.embed_tokens.weight").getArray().getDataType(), "embeddings stay F32");
                assertTrue(LinearLike.of(tree.get("lm_head")).isPresent(), "the head stays a full-precision linear");

                float[] logits = TinyLlamas.logits(model.block(), manager, ids);
                double error = TinyLlamas.relativeError(logits, reference);
                MemoryReport report = MemoryReport.ofBase(model.block());
                double shrink = (double) f32Bytes / report.frozenBytes();
                System.out.printf("%-7s worst weight rel. error %.4f, logits rel. error %.4f, frozen %d -> %d bytes (%.2fx)%n",
                        e.getKey(), weightError, error, f32Bytes, report.frozenBytes(), shrink);
                // Rounding errors are independent across weights, so each layer's output moves by about its
                // weight's relative error ε; the errors of the 14 quantized layers add roughly in quadrature
                // along the residual stream, so ‖Δlogits‖/‖logits‖ ≲ √14·ε_worst (the norms and the F32
                // head do not amplify them). A wrongly dequantized layer gives an error of order 1.
                double bound = Math.sqrt(done.size()) * weightError;
                assertTrue(error <= bound, e.getKey() + ": logits error " + error + " > sqrt(14) x " + weightError);
                assertTrue(error > 0, "quantization changes something");
                assertTrue(shrink >= minShrink.get(e.getKey()), e.getKey() + " frozen bytes shrink only " + shrink + "x");
            }
        }
    }
}
