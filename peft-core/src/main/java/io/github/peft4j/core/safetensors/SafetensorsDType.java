package io.github.peft4j.core.safetensors;

import ai.djl.ndarray.types.DataType;
import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.core.PeftFormatException;

import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Every element type of the safetensors format, with its size in bits and the DJL type that can
 * hold it.
 *
 * <p>The constants are declared in the same order as the reference implementation's {@code Dtype}
 * enum (increasing alignment). The writer sorts tensors by this order, descending, then by name,
 * exactly as the reference writer does; keeping the order identical is what makes our files
 * byte-identical to the ones Python writes.
 *
 * <pre>{@code
 * SafetensorsDType t = SafetensorsDType.parse("BF16");
 * t.bits();                               // 16
 * t.djlType();                            // Optional.empty(): the PyTorch JNI cannot hold BF16
 * SafetensorsDType.of(DataType.FLOAT32);  // F32
 * }</pre>
 */
public enum SafetensorsDType {
    /** Boolean, one byte per element. */
    BOOL(8, DataType.BOOLEAN),
    /** MXFP4 (e2m1), two elements per byte. */
    F4(4, null),
    /** MXFP6 e2m3. */
    F6_E2M3(6, null),
    /** MXFP6 e3m2. */
    F6_E3M2(6, null),
    /** Unsigned byte. */
    U8(8, DataType.UINT8),
    /** Signed byte. */
    I8(8, DataType.INT8),
    /** FP8 e5m2. */
    F8_E5M2(8, null),
    /** FP8 e4m3 (torch {@code float8_e4m3fn}). */
    F8_E4M3(8, null),
    /** FP8 e8m0 (microscaling exponents). */
    F8_E8M0(8, null),
    /** FP8 e4m3, finite, unsigned zero. */
    F8_E4M3FNUZ(8, null),
    /** FP8 e5m2, finite, unsigned zero. */
    F8_E5M2FNUZ(8, null),
    /** Signed 16-bit integer. */
    I16(16, null),
    /** Unsigned 16-bit integer. */
    U16(16, null),
    /** IEEE half precision. */
    F16(16, DataType.FLOAT16),
    /** bfloat16. */
    BF16(16, null),
    /** Signed 32-bit integer. */
    I32(32, DataType.INT32),
    /** Unsigned 32-bit integer. */
    U32(32, null),
    /** IEEE single precision. */
    F32(32, DataType.FLOAT32),
    /** Complex number made of two F32. */
    C64(64, null),
    /** IEEE double precision. */
    F64(64, DataType.FLOAT64),
    /** Signed 64-bit integer. */
    I64(64, DataType.INT64),
    /** Unsigned 64-bit integer. */
    U64(64, null);

    private final int bits;
    // Only the types the PyTorch JNI maps; any other DataType reaching it aborts the JVM.
    private final DataType djlType;

    SafetensorsDType(int bits, DataType djlType) {
        this.bits = bits;
        this.djlType = djlType;
    }

    /** @return the size of one element in bits (4 for F4, 6 for F6_*, 64 for C64) */
    public int bits() {
        return bits;
    }

    /**
     * The DJL type that holds this dtype without risk on the PyTorch engine.
     *
     * <p>Empty for BF16, I16, U16, U32, U64, C64 and the sub-byte and 8-bit float types: creating
     * or converting an NDArray of those types terminates the JVM inside the PyTorch JNI.
     * {@link SafetensorsFile#load} converts BF16 and F16 to FLOAT32 in Java.
     *
     * @return the DJL type, or empty when DJL cannot hold this dtype safely
     */
    public Optional<DataType> djlType() {
        return Optional.ofNullable(djlType);
    }

    /**
     * The safetensors dtype of a DJL data type.
     *
     * @param type a DJL data type
     * @return its safetensors dtype
     * @throws PeftCompatibilityException for types safetensors has no name for (STRING, UNKNOWN)
     */
    public static SafetensorsDType of(DataType type) {
        if (type == null) {
            throw new PeftCompatibilityException("DataType is null");
        }
        switch (type) {
            case FLOAT32:
                return F32;
            case FLOAT64:
                return F64;
            case FLOAT16:
                return F16;
            case BFLOAT16:
                return BF16;
            case UINT8:
                return U8;
            case INT8:
                return I8;
            case INT16:
                return I16;
            case UINT16:
                return U16;
            case INT32:
                return I32;
            case UINT32:
                return U32;
            case INT64:
                return I64;
            case UINT64:
                return U64;
            case BOOLEAN:
                return BOOL;
            case COMPLEX64:
                return C64;
            default:
                throw new PeftCompatibilityException(
                        "DJL data type " + type + " has no safetensors equivalent");
        }
    }

    /**
     * The dtype for its name in a safetensors header (case-sensitive, as the reference parser).
     *
     * @param name the header's {@code dtype} string, e.g. {@code "F32"}
     * @return the dtype
     * @throws PeftFormatException when the name is not a safetensors dtype
     */
    public static SafetensorsDType parse(String name) {
        if (name != null) {
            for (SafetensorsDType t : values()) {
                if (t.name().equals(name)) {
                    return t;
                }
            }
        }
        throw new PeftFormatException(null, null, "unknown safetensors dtype "
                + (name == null ? "null" : "'" + name + "'") + "; expected one of "
                + Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", ")));
    }

    /**
     * Bytes taken by {@code numElements} elements, or -1 when that is not a whole number of bytes.
     *
     * @throws ArithmeticException when the bit count overflows a long
     */
    long byteSizeOf(long numElements) {
        long nbits = Math.multiplyExact(numElements, (long) bits);
        return (nbits % 8 == 0) ? nbits / 8 : -1;
    }

    /** @return the alignment, in bytes, a naturally aligned element of this type needs */
    int elementAlignment() {
        return Math.max(1, bits / 8);
    }
}
