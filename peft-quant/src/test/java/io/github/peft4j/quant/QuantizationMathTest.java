package io.github.peft4j.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.github.peft4j.core.PeftConfigException;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Quantize → dequantize against plain-Java double-precision references and hand-computed codes. */
class QuantizationMathTest {

    private NDManager manager;

    @BeforeEach
    void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    private static float[] gaussian(int n, long seed, float std) {
        Random r = new Random(seed);
        float[] w = new float[n];
        for (int i = 0; i < n; i++) {
            w[i] = (float) (r.nextGaussian() * std);
        }
        return w;
    }

    private float[] dequantized(QuantizedLinear q) {
        return q.dequantizedWeight(manager).toFloatArray();
    }

    @Test
    void int8ErrorIsAtMostHalfAScalePerChannel() {
        int out = 6;
        int in = 100;
        float[] w = gaussian(out * in, 1, 0.02f);
        for (int i = 0; i < in; i++) {
            w[2 * in + i] *= 50;      // a loud channel
            w[4 * in + i] = 0;        // a dead one
        }
        QuantizedLinear q = new QuantizedLinear(w, out, in, null, QuantizationConfig.of(QuantizationType.INT8), manager);
        float[] d = dequantized(q);
        float[] scales = q.blockScales();
        for (int r = 0; r < out; r++) {
            double absmax = 0;
            for (int i = 0; i < in; i++) {
                absmax = Math.max(absmax, Math.abs(w[r * in + i]));
            }
            double scale = absmax / 127;
            assertEquals(scale, scales[r], 1e-6 * scale + 1e-12, "scale of channel " + r);
            double worst = 0;
            for (int i = 0; i < in; i++) {
                worst = Math.max(worst, Math.abs(d[r * in + i] - w[r * in + i]));
            }
            assertTrue(worst <= scale / 2 * (1 + 1e-5) + 1e-12, "channel " + r + ": " + worst + " > " + scale / 2);
            if (r == 4) {
                assertEquals(0, worst, "a zero channel stays exactly zero");
            }
        }
        assertEquals(out * in + out * 4L, q.storageBytes(), "int8 codes + one F32 scale per channel");
    }

    @Test
    void nf4CodesAndPackingByHand() {
        // block size 8, absmax 2: normalised [1, -0.5, 0.1, 0.3, 0, 0, 0, 0]
        // nearest levels: 1.0 (15); -0.5 → -0.52507 (2, distance 0.025 vs 0.105 to -0.39492);
        // 0.1 → 0.07958 (8, 0.020 vs 0.061 to 0.16093); 0.3 → 0.33792 (11, 0.038 vs 0.054 to 0.24611); 0 → 7
        float[] w = {2.0f, -1.0f, 0.2f, 0.6f, 0, 0, 0, 0};
        QuantizedLinear q = new QuantizedLinear(w, 1, 8, null,
                QuantizationConfig.builder().type(QuantizationType.NF4).blockSize(8).build(), manager);
        byte[] packed = q.codes().toByteArray();
        assertArrayEquals(new byte[] {(byte) 0xF2, (byte) 0x8B, 0x77, 0x77}, packed, "high nibble first");
        float[] d = dequantized(q);
        assertArrayEquals(new float[] {2.0f, 2 * -0.5250730514526367f, 2 * 0.07958029955625534f,
                2 * 0.33791524171829224f, 0, 0, 0, 0}, d, 1e-6f);
    }

    @Test
    void nf4ValuesRoundToTheNearestCodeBookEntry() {
        int out = 3;
        int in = 50;                       // 150 values: two full blocks of 64 and a padded one
        float[] w = gaussian(out * in, 7, 0.05f);
        QuantizedLinear q = new QuantizedLinear(w, out, in, null, QuantizationConfig.of(QuantizationType.NF4), manager);
        float[] d = dequantized(q);
        byte[] packed = q.codes().toByteArray();
        assertEquals(96, packed.length, "3 blocks of 64 values, two per byte");
        double[] book = {-1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453,
            -0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0.0, 0.07958029955625534,
            0.16093020141124725, 0.24611230194568634, 0.33791524171829224, 0.44070982933044434,
            0.5626170039176941, 0.7229568362236023, 1.0};
        for (int b = 0; b * 64 < w.length; b++) {
            double absmax = 0;
            for (int i = b * 64; i < Math.min(w.length, (b + 1) * 64); i++) {
                absmax = Math.max(absmax, Math.abs(w[i]));
            }
            for (int i = b * 64; i < Math.min(w.length, (b + 1) * 64); i++) {
                double v = w[i] / absmax;
                double best = Double.POSITIVE_INFINITY;
                for (double c : book) {
                    best = Math.min(best, Math.abs(v - c));
                }
                int index = Nf4.index(packed, i);
                assertTrue(Math.abs(v - book[index]) <= best + 1e-6, "value " + i + " → level " + index);
                assertEquals(book[index] * absmax, d[i], 1e-6 * absmax, "dequantized value " + i);
            }
        }
        assertEquals(96 + 3 * 4L + 16 * 4, q.storageBytes(), "codes, scales, the 16 F32 levels");
    }

    @Test
    void doubleQuantizedScalesStayWithinHalfAStepAndShrinkStorage() {
        int out = 64;
        int in = 512;                       // 512 blocks: two groups of 256 scales
        float[] w = gaussian(out * in, 11, 0.02f);
        QuantizationConfig plain = QuantizationConfig.of(QuantizationType.NF4);
        QuantizationConfig dq = QuantizationConfig.builder().type(QuantizationType.NF4).doubleQuant(true).build();
        QuantizedLinear a = new QuantizedLinear(w, out, in, null, plain, manager);
        QuantizedLinear b = new QuantizedLinear(w, out, in, null, dq, manager);
        float[] exact = a.blockScales();
        float[] approx = b.blockScales();
        double mean = 0;
        for (float s : exact) {
            mean += s;
        }
        mean /= exact.length;
        for (int g = 0; g < 2; g++) {
            double max = 0;
            for (int i = g * 256; i < (g + 1) * 256; i++) {
                max = Math.max(max, Math.abs(exact[i] - mean));
            }
            double step = max / 127;
            for (int i = g * 256; i < (g + 1) * 256; i++) {
                assertTrue(Math.abs(approx[i] - exact[i]) <= step / 2 * (1 + 1e-4) + 1e-9, "scale " + i);
            }
        }
        // the codes are the same; each weight is its level times the double-quantized scale
        assertArrayEquals(a.codes().toByteArray(), b.codes().toByteArray());
        float[] d = dequantized(b);
        byte[] packed = b.codes().toByteArray();
        for (int i = 0; i < w.length; i += 97) {
            assertEquals(Nf4.CODE_BOOK[Nf4.index(packed, i)] * approx[i / 64], d[i], 1e-6);
        }
        long n = (long) out * in;
        assertEquals(n / 2 + 512 * 4 + 64, a.storageBytes());
        assertEquals(n / 2 + 512 + 2 * 4 + 4 + 64, b.storageBytes(), "int8 scales, two F32 group scales, the offset, the levels");
    }

    @Test
    void requantizeReplacesTheStoredWeight() {
        float[] w = gaussian(32 * 64, 3, 0.1f);
        QuantizedLinear q = new QuantizedLinear(w, 32, 64, null, QuantizationConfig.of(QuantizationType.INT8), manager);
        float[] twice = w.clone();
        for (int i = 0; i < twice.length; i++) {
            twice[i] *= 2;
        }
        QuantizedLinear ref = new QuantizedLinear(twice, 32, 64, null, QuantizationConfig.of(QuantizationType.INT8), manager);
        q.requantize(manager.create(twice, new ai.djl.ndarray.types.Shape(32, 64)));
        assertArrayEquals(ref.codes().toByteArray(), q.codes().toByteArray());
        assertArrayEquals(ref.blockScales(), q.blockScales(), 0f);
    }

    @Test
    void badConfigsAreRefused() {
        assertThrows(PeftConfigException.class, () -> QuantizationConfig.builder().blockSize(63).build());
        assertThrows(PeftConfigException.class,
                () -> QuantizationConfig.builder().type(QuantizationType.INT8).doubleQuant(true).build());
    }
}
