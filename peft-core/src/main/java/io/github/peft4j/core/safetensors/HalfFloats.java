package io.github.peft4j.core.safetensors;

/**
 * F16 and BF16 to F32 conversion. Java 17 has no {@code Float.float16ToFloat} (added in 20), and
 * the PyTorch JNI cannot hold BF16 at all, so both are widened in Java.
 */
final class HalfFloats {

    private HalfFloats() {
    }

    /** @return the float whose upper 16 bits are {@code bits}; exact, as bf16 is a truncated f32 */
    static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }

    /** @return the IEEE 754 binary16 value {@code bits}, exactly, as a float */
    static float f16ToFloat(short bits) {
        return Table.F16[bits & 0xffff];
    }

    /** The conversion itself, covering zeros, subnormals, infinities and NaN payloads. */
    static float f16ToFloatSlow(int h) {
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1f;
        int mant = h & 0x3ff;
        if (exp == 0x1f) {
            // Infinity when mant == 0, otherwise NaN with the payload kept in the high bits.
            return Float.intBitsToFloat(sign | 0x7f80_0000 | (mant << 13));
        }
        if (exp == 0) {
            // Zero or subnormal: mant x 2^-24, exact in float.
            float v = mant * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        // Rebias the exponent from 15 to 127.
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    // 256 KiB, built on first use only, instead of branching per element on large tensors.
    private static final class Table {
        static final float[] F16 = new float[1 << 16];

        static {
            for (int i = 0; i < F16.length; i++) {
                F16[i] = f16ToFloatSlow(i);
            }
        }
    }
}
