package io.github.peft4j.bench.jmh;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import io.github.peft4j.core.module.ModuleTree;
import java.nio.file.Files;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Runs each JMH benchmark's setup, benchmark methods and teardown once, directly and on small shapes,
 * and checks what they compute against plain-Java math. No time is measured or asserted.
 */
class MicrobenchmarksSmokeTest {

    @Test
    void loraLinearStepsComputeTheLossAndAdapterOnlyGradients() {
        LoraLinearBench b = new LoraLinearBench();
        b.tokens = 3;
        b.features = 4;
        b.rank = 2;
        b.setUp();
        try {
            Map<String, Parameter> plain = ModuleTree.of(b.plainModel()).parameters();
            float plainLoss = b.plainLinear();
            assertEquals(linearLossSum(b, param(plain, "weight"), param(plain, "bias"), null), plainLoss, 1e-3);
            assertTrue(param(plain, "weight").getGradient().abs().sum().getFloat() > 0, "plain weight trained");

            Map<String, Parameter> lora = ModuleTree.of(b.loraModel().baseModel()).parameters();
            double[] w = vec(param(lora, "base_layer.weight"));
            double[] a = vec(param(lora, "lora_A.default.weight"));
            double[] bb = vec(param(lora, "lora_B.default.weight"));
            // merged weight W + (alpha / r) * B A, alpha = 2 r
            double[] merged = w.clone();
            for (int o = 0; o < 4; o++) {
                for (int i = 0; i < 4; i++) {
                    for (int k = 0; k < 2; k++) {
                        merged[o * 4 + i] += 2.0 * bb[o * 2 + k] * a[k * 4 + i];
                    }
                }
            }
            float loraLoss = b.loraLinear();
            assertEquals(linearLossSum(b, null, param(lora, "base_layer.bias"), merged), loraLoss, 1e-3);
            assertTrue(param(lora, "lora_A.default.weight").getGradient().abs().sum().getFloat() > 0);
            assertFalse(param(lora, "base_layer.weight").hasGradient(), "base stays frozen");
        } finally {
            b.tearDown();
        }
    }

    /** sum over rows of x W^T + b, in doubles. */
    private static double linearLossSum(LoraLinearBench b, NDArray weight, NDArray bias, double[] w) {
        double[] x = vec(inputOf(b));
        double[] wv = w != null ? w : vec(weight);
        double[] bv = vec(bias);
        double sum = 0;
        for (int t = 0; t < 3; t++) {
            for (int o = 0; o < 4; o++) {
                sum += bv[o];
                for (int i = 0; i < 4; i++) {
                    sum += x[t * 4 + i] * wv[o * 4 + i];
                }
            }
        }
        return sum;
    }

    private static NDArray inputOf(LoraLinearBench b) {
        return b.input();
    }

    private static NDArray param(Map<String, Parameter> params, String suffix) {
        return params.entrySet().stream().filter(e -> e.getKey().endsWith(suffix)).findFirst()
                .orElseThrow(() -> new AssertionError("no parameter *" + suffix + " in " + params.keySet()))
                .getValue().getArray();
    }

    private static double[] vec(NDArray a) {
        float[] f = a.toFloatArray();
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    @Test
    void mergeUnmergeRestoresTheBaseWeight() {
        MergeBench b = new MergeBench();
        b.features = 16;
        b.rank = 2;
        b.setUp();
        try {
            NDArray w = param(ModuleTree.of(b.model().baseModel()).parameters(), "base_layer.weight");
            float[] before = w.toFloatArray();
            assertEquals(1, b.mergeUnmerge());
            assertArrayEquals(before, w.toFloatArray(), 1e-6f);
            float[] raw = b.rawAddSubtract().toFloatArray();
            assertEquals(16 * 16, raw.length);
        } finally {
            b.tearDown();
        }
    }

    @Test
    void safetensorsLoadSumsTheFileAndTheBaselineReadsAllOfIt() throws Exception {
        SafetensorsLoadBench b = new SafetensorsLoadBench();
        b.megabytes = 1;
        b.setUp();
        try {
            long perTensor = 1024 * 1024 / SafetensorsLoadBench.TENSORS / Float.BYTES;
            // tensor i is filled with i + 1: 1 + 2 + 3 + 4 = 10 per position
            assertEquals(10.0 * perTensor, b.safetensorsLoadAndSum(), 0.0);
            long size = Files.size(b.file());
            assertTrue(size > 1024 * 1024, "data plus header");
            assertEquals(size, b.readIntoDirectBuffer());
        } finally {
            b.tearDown();
        }
    }
}
