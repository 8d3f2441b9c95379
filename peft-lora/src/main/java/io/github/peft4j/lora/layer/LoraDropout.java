package io.github.peft4j.lora.layer;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.peft4j.core.tuner.EngineMemory;
import io.github.peft4j.core.tuner.Tensors;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;

/**
 * PEFT's {@code lora_dropout} ({@code nn.Dropout(p)} on the LoRA path): each element kept with
 * probability {@code 1 - p}, kept ones scaled by {@code 1/(1-p)}, in training only.
 *
 * <p>On the CPU the mask is drawn here rather than by torch's {@code dropout}: on CPUs other than
 * Intel's, libtorch 2.7.1 fills a Bernoulli mask one element at a time, each from a double-precision
 * draw of its mt19937 generator (two 32-bit calls and a conversion), which made dropout the largest
 * cost LoRA adds to a training step (docs/benchmarks.md, "LoRA step cost"). Here one
 * {@link SplittableRandom} seeded from the engine's generator gives two elements per 64-bit draw,
 * written straight into an engine-owned byte tensor ({@link EngineMemory}): about 4 times faster than torch's dropout mask,
 * 2 times faster than a torch float uniform. Element i is kept when its 32 random bits, unsigned, are
 * at least {@code ceil(p·2³²)}: the keep probability is {@code 1 - p} to within 2⁻³². The seed is
 * one draw of the engine's generator per call, so {@code Engine.setRandomSeed} still makes the masks
 * repeat. On other devices the mask is the engine's own uniform draw, {@code uniform[0,1) >= p}.
 *
 * <pre>{@code
 * NDArray h = LoraDropout.keep(x, 0.05);        // x·mask; the 1/(1-p) is the caller's (folded into B)
 * NDArray d = LoraDropout.inverted(x, 0.05);    // x·mask/(1-p), as nn.Dropout
 * }</pre>
 */
final class LoraDropout {

    private static final double TWO_TO_32 = 4294967296.0;

    private LoraDropout() {}

    /**
     * @param x the LoRA path's input
     * @param p the dropout probability, in (0, 1)
     * @return {@code x · mask} with a fresh 0/1 mask, not yet scaled by {@code 1/(1-p)}
     */
    static NDArray keep(NDArray x, double p) {
        return x.mul(mask(x, p));
    }

    /**
     * @param x the LoRA path's input
     * @param p the dropout probability, in (0, 1)
     * @return {@code x · mask / (1-p)}, as {@code nn.Dropout(p)} in training
     */
    static NDArray inverted(NDArray x, double p) {
        NDArray kept = keep(x, p);
        // engine-owned scalar: DJL's mul(Number) frees its scalar before backward reads it
        return kept.mul(Tensors.scalar(kept, 1 / (1 - p)));
    }

    /**
     * @param x the array to mask
     * @param p the dropout probability, in (0, 1)
     * @return a fresh mask of x's shape and type: 1 (kept, probability 1 - p) or 0
     */
    static NDArray mask(NDArray x, double p) {
        NDManager manager = x.getManager();
        NDArray bytes = x.getDevice().equals(Device.cpu())
                ? EngineMemory.create(manager, x.getShape(), DataType.UINT8) : null;
        if (bytes == null) {
            // not writable from Java (another device or engine): the engine's own uniform draw
            NDArray uniform = manager.randomUniform(0f, 1f, x.getShape(), x.getDataType(), x.getDevice());
            return uniform.gte(p).toType(x.getDataType(), false);
        }
        long seed = manager.randomInteger(Long.MIN_VALUE, Long.MAX_VALUE, new Shape(), DataType.INT64).getLong();
        fill(EngineMemory.view(bytes), Math.toIntExact(x.size()), (long) Math.ceil(p * TWO_TO_32), seed);
        // a 0/1 mask of x's type: a multiply by a byte or boolean mask converts element by element, slower
        NDArray mask = bytes.toType(x.getDataType(), false);
        bytes.close();
        return mask;
    }

    /** Writes n mask bytes: 1 where 32 random bits, unsigned, are at least {@code threshold}. */
    static void fill(ByteBuffer target, int n, long threshold, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int i = 0;
        for (; i + 1 < n; i += 2) {
            long bits = random.nextLong();
            target.put(i, (bits & 0xffffffffL) >= threshold ? (byte) 1 : 0);
            target.put(i + 1, (bits >>> 32) >= threshold ? (byte) 1 : 0);
        }
        if (i < n) {
            target.put(i, (random.nextLong() >>> 32) >= threshold ? (byte) 1 : 0);
        }
    }
}
