package io.github.peft4j.quant;

/**
 * QLoRA's 4-bit NormalFloat: 16 levels in [-1, 1] spaced by the quantiles of a standard normal
 * distribution (with an exact zero), applied to blocks of a flattened weight scaled by their
 * absolute maximum. The levels are bitsandbytes' {@code get_4bit_type("nf4")}; two 4-bit indices
 * share a byte, the first in the high nibble, as bitsandbytes packs them.
 *
 * <pre>{@code
 * Nf4.Blocks q = Nf4.quantize(weights, 64);
 * float w0 = Nf4.CODE_BOOK[Nf4.index(q.packed(), 0)] * q.absmax()[0];
 * }</pre>
 */
public final class Nf4 {

    /** The 16 NormalFloat levels, index order as stored. */
    public static final float[] CODE_BOOK = {
        -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
        -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
        0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f,
        0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f,
    };

    private Nf4() {}

    /**
     * @param packed codes (padded to whole blocks), absmax one scale per block
     */
    public record Blocks(byte[] packed, float[] absmax) {}

    /**
     * @param normalized a value in [-1, 1]
     * @return the index of the nearest level
     */
    public static int nearest(float normalized) {
        int best = 0;
        float bestDistance = Float.POSITIVE_INFINITY;
        for (int i = 0; i < CODE_BOOK.length; i++) {
            float d = Math.abs(normalized - CODE_BOOK[i]);
            if (d < bestDistance) {
                bestDistance = d;
                best = i;
            }
        }
        return best;
    }

    /**
     * @param values a flattened weight
     * @param blockSize values per scale (even)
     * @return packed codes over ceil(n / blockSize) blocks (the last one padded with zeros) and their scales
     */
    public static Blocks quantize(float[] values, int blockSize) {
        int blocks = (values.length + blockSize - 1) / blockSize;
        byte[] packed = new byte[blocks * blockSize / 2];
        float[] absmax = new float[blocks];
        for (int b = 0; b < blocks; b++) {
            int from = b * blockSize;
            int to = Math.min(values.length, from + blockSize);
            float max = 0;
            for (int i = from; i < to; i++) {
                max = Math.max(max, Math.abs(values[i]));
            }
            absmax[b] = max;
            for (int i = from; i < from + blockSize; i++) {
                float v = i < to && max > 0 ? values[i] / max : 0f;
                int code = nearest(v);
                int at = i / 2;
                packed[at] = (byte) (i % 2 == 0 ? (code << 4) | (packed[at] & 0x0f) : (packed[at] & 0xf0) | code);
            }
        }
        return new Blocks(packed, absmax);
    }

    /**
     * @param packed packed codes
     * @param i the value's position in the flattened weight
     * @return its code-book index
     */
    public static int index(byte[] packed, int i) {
        int b = packed[i / 2] & 0xff;
        return i % 2 == 0 ? b >>> 4 : b & 0x0f;
    }
}
