package io.github.peft4j.lora.layer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** LoRA's dropout mask: its keep rate, independence, type, seeding and thresholds. */
class LoraDropoutTest {

    private NDManager manager;

    @BeforeEach
    void setUp() {
        manager = NDManager.newBaseManager();
        Engine.getInstance().setRandomSeed(11);
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    @Test
    void maskKeepsOneMinusPOfTheElementsIndependently() {
        int n = 1_000_000;
        float[] mask = LoraDropout.mask(manager.ones(new Shape(1000, 1000)), 0.3).toFloatArray();
        long kept = 0;
        long bothOfPair = 0;
        for (int i = 0; i < n; i++) {
            assertTrue(mask[i] == 0f || mask[i] == 1f, "mask[" + i + "] = " + mask[i]);
            kept += (long) mask[i];
            if (i % 2 == 0 && mask[i] == 1f && mask[i + 1] == 1f) {
                bothOfPair++; // elements 2k and 2k+1 come from one 64-bit draw
            }
        }
        // binomial standard deviations: 4.6e-4 for the rate, 7.1e-4 for the pairs (n / 2 of them)
        assertEquals(0.7, (double) kept / n, 0.003, "keep rate");
        assertEquals(0.49, bothOfPair / (n / 2.0), 0.004, "both of a pair kept");
    }

    @Test
    void maskHasTheInputsTypeAndRepeatsUnderTheEngineSeed() {
        NDArray x = manager.ones(new Shape(7, 9), DataType.FLOAT64);
        Engine.getInstance().setRandomSeed(5);
        NDArray first = LoraDropout.mask(x, 0.5);
        NDArray second = LoraDropout.mask(x, 0.5);
        Engine.getInstance().setRandomSeed(5);
        NDArray again = LoraDropout.mask(x, 0.5);
        assertEquals(DataType.FLOAT64, first.getDataType());
        assertEquals(x.getShape(), first.getShape());
        assertArrayEquals(first.toDoubleArray(), again.toDoubleArray(), "same seed, same mask");
        assertFalse(Arrays.equals(first.toDoubleArray(), second.toDoubleArray()), "a new mask per call");
    }

    @Test
    void invertedScalesKeptElementsByOneOverOneMinusP() {
        NDArray x = manager.arange(1f, 401f).reshape(20, 20);
        float[] in = x.toFloatArray();
        float[] out = LoraDropout.inverted(x, 0.2).toFloatArray();
        int kept = 0;
        for (int i = 0; i < in.length; i++) {
            if (out[i] != 0f) {
                assertEquals(in[i] / 0.8f, out[i], 1e-4f * in[i]);
                kept++;
            }
        }
        assertTrue(kept > 250 && kept < 390, "kept " + kept);
    }

    @Test
    void fillCutsAtTheThresholdAndWritesExactlyNBytes() {
        ByteBuffer target = ByteBuffer.allocate(8);
        Arrays.fill(target.array(), (byte) 9);
        LoraDropout.fill(target, 7, 0, 1);
        assertArrayEquals(new byte[] {1, 1, 1, 1, 1, 1, 1, 9}, target.array(), "threshold 0 keeps all, odd n");
        LoraDropout.fill(target, 8, 1L << 32, 1);
        assertArrayEquals(new byte[8], target.array(), "threshold 2^32 keeps none");
    }
}
