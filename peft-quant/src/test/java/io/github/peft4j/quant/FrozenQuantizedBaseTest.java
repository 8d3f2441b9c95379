package io.github.peft4j.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import io.github.peft4j.core.module.LinearLike;
import io.github.peft4j.core.module.ModuleTree;
import io.github.peft4j.models.ModelFactory;
import io.github.peft4j.models.PretrainedModel;
import io.github.peft4j.models.config.Gpt2Config;
import io.github.peft4j.models.config.ModelConfig;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A quantized base used with no tuner at all (frozen inference, evaluation): it computes exactly what
 * the same model holding its dequantized weights in F32 computes, and the memory report's byte counts
 * follow from the layer shapes.
 */
class FrozenQuantizedBaseTest {

    private NDManager manager;

    @BeforeEach
    void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    /** Writes each quantized layer's dequantized weight into the F32 twin's layer at the same path. */
    private static void copyDequantizedWeights(Block quantized, Block twin, NDManager manager) {
        ModuleTree twinTree = ModuleTree.of(twin);
        for (ModuleTree.Module m : ModuleTree.of(quantized).modules().values()) {
            if (m.block() instanceof QuantizedLinear q) {
                LinearLike f32 = LinearLike.of(twinTree.get(m.path())).orElseThrow();
                try (NDManager tmp = manager.newSubManager()) {
                    NDArray w = q.dequantizedWeight(tmp);          // [out, in]
                    f32.weight().getArray().set((f32.fanInFanOut() ? w.transpose() : w).toFloatArray());
                }
            }
        }
    }

    private void assertForwardEqualsDequantizedF32(ModelConfig config, QuantizationConfig quant, int layers) {
        try (PretrainedModel model = ModelFactory.create(config, manager, 17);
                PretrainedModel twin = ModelFactory.create(config, manager, 17)) {
            List<String> done = Quantizer.quantize(model.block(), quant);
            assertEquals(layers, done.size(), done.toString());
            copyDequantizedWeights(model.block(), twin.block(), manager);
            NDArray ids = TinyLlamas.randomIds(manager, 16, 2, 11, 3);
            float[] expected = TinyLlamas.logits(twin.block(), manager, ids);
            float[] actual = TinyLlamas.logits(model.block(), manager, ids);
            double scale = 0;
            for (float v : expected) {
                scale = Math.max(scale, Math.abs(v));
            }
            assertTrue(scale > 0);
            assertArrayEquals(expected, actual, (float) (1e-5 * scale), quant.type() + " forward vs dequantized F32");
        }
    }

    @Test
    void nf4LlamaForwardEqualsItsDequantizedF32Twin() {
        assertForwardEqualsDequantizedF32(TinyLlamas.trainable(),
                QuantizationConfig.builder().type(QuantizationType.NF4).doubleQuant(true).build(), 14);
    }

    @Test
    void int8Gpt2ForwardWithBiasesAndConv1dEqualsItsDequantizedF32Twin() {
        // GPT-2's Conv1D is stored [in, out] and has biases: the quantized layer transposes it and keeps the bias
        Gpt2Config gpt2 = Gpt2Config.tiny().vocabSize(16).build();
        assertForwardEqualsDequantizedF32(gpt2, QuantizationConfig.of(QuantizationType.INT8), 8);
    }

    @Test
    void memoryReportBytesFollowFromTheLayerShapes() {
        // linearHeavy: 2 layers of q[128,128] k[64,128] v[64,128] o[128,128] gate/up[512,128] down[128,512]
        // = 245,760 weights and 1,536 output channels a layer; full precision: embeddings and the untied
        // head 2 × 32 × 128, five RMSNorm weights of 128 (two a layer, the final one) = 8,832 floats.
        long fullPrecision = 8_832L * 4;
        long f32 = 2 * 245_760L * 4 + fullPrecision;
        // int8: a byte a weight + an F32 scale a channel
        long int8 = 2 * (245_760L + 1_536L * 4);
        // NF4: half a byte a weight + an F32 absmax per 64 weights + the 16 F32 levels of each of 7 layers
        long nf4 = 2 * (245_760L / 2 + 245_760L / 64 * 4 + 7 * 64);
        // NF4+dq: the block scales as int8 in groups of 256 (q, k, v, o: 1 group each; gate, up, down: 4 each,
        // 16 a layer), an F32 scale a group, one F32 mean and the levels per layer
        long nf4dq = 2 * (245_760L / 2 + 16 * 256 + 16 * 4 + 7 * (4 + 64));
        assertEquals(2_001_408L, f32);
        assertEquals(List.of(503_808L, 277_376L, 255_032L), List.of(int8, nf4, nf4dq));

        try (PretrainedModel plain = TinyLlamas.create(TinyLlamas.linearHeavy(), manager, 42)) {
            MemoryReport report = MemoryReport.ofBase(plain.block());
            assertEquals(new MemoryReport(0, f32, 0, 0), report);
        }
        List<QuantizationConfig> configs = List.of(QuantizationConfig.of(QuantizationType.INT8),
                QuantizationConfig.of(QuantizationType.NF4),
                QuantizationConfig.builder().type(QuantizationType.NF4).doubleQuant(true).build());
        List<Long> expected = List.of(int8, nf4, nf4dq);
        for (int i = 0; i < configs.size(); i++) {
            try (PretrainedModel model = TinyLlamas.create(TinyLlamas.linearHeavy(), manager, 42)) {
                Quantizer.quantize(model.block(), configs.get(i));
                MemoryReport report = MemoryReport.ofBase(model.block());
                assertEquals(new MemoryReport(expected.get(i), fullPrecision, 0, 0), report, configs.get(i).type().toString());
                assertEquals(expected.get(i) + fullPrecision, report.totalBytes());
            }
        }
    }
}
