package io.github.peft4j.quant;

/**
 * Symmetric int8 quantization along rows: each row (an output channel of a [out, in] weight, or a
 * group of block scales) gets scale = absmax / 127 and codes round(w / scale) in [-127, 127], so a
 * value is off by at most scale / 2 after dequantization.
 *
 * <pre>{@code
 * Int8.Rows q = Int8.quantize(weights, out, in);
 * float w01 = q.codes()[1] * q.scale()[0];
 * }</pre>
 */
public final class Int8 {

    private Int8() {}

    /**
     * @param codes row-major codes, scale one per row
     */
    public record Rows(byte[] codes, float[] scale) {}

    /**
     * @param values row-major values; the last row may be short
     * @param rows number of rows
     * @param cols row length
     * @return codes and per-row scales (0 for an all-zero row)
     */
    public static Rows quantize(float[] values, int rows, int cols) {
        byte[] codes = new byte[values.length];
        float[] scale = new float[rows];
        for (int r = 0; r < rows; r++) {
            int from = r * cols;
            int to = Math.min(values.length, from + cols);
            float max = 0;
            for (int i = from; i < to; i++) {
                max = Math.max(max, Math.abs(values[i]));
            }
            float s = max / 127f;
            scale[r] = s;
            for (int i = from; i < to; i++) {
                codes[i] = s == 0 ? 0 : (byte) Math.max(-127, Math.min(127, Math.round(values[i] / s)));
            }
        }
        return new Rows(codes, scale);
    }
}
