package io.github.peft4j.core.safetensors;

import ai.djl.ndarray.types.Shape;

import java.util.Arrays;
import java.util.Objects;

/**
 * One tensor entry of a safetensors header: name, dtype, shape and its byte range.
 *
 * <p>{@code begin} and {@code end} are relative to the start of the data section (the byte after
 * the header), {@code end} exclusive, as in the file. The shape array is copied on the way in and
 * on the way out, so instances are immutable and compare by value.
 *
 * <pre>{@code
 * TensorInfo info = file.info("h.0.attn.c_attn.weight");
 * info.shape();        // [2, 6]
 * info.byteSize();     // 48
 * info.numElements();  // 12
 * }</pre>
 *
 * @param name the tensor's key in the header
 * @param dtype its element type
 * @param shape its dimensions, row-major; empty for a scalar
 * @param begin first byte, relative to the data section
 * @param end one past the last byte, relative to the data section
 */
public record TensorInfo(String name, SafetensorsDType dtype, long[] shape, long begin, long end) {

    /** Copies the shape and checks the values that do not depend on the rest of the file. */
    public TensorInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        shape = Objects.requireNonNull(shape, "shape").clone();
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
        }
        if (begin < 0 || end < begin) {
            throw new IllegalArgumentException("invalid byte range [" + begin + ", " + end + ")");
        }
    }

    /** @return a copy of the shape */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** @return the shape as a DJL {@link Shape} */
    public Shape djlShape() {
        return new Shape(shape.clone());
    }

    /** @return the number of bytes the tensor occupies, {@code end - begin} */
    public long byteSize() {
        return end - begin;
    }

    /**
     * @return the product of the dimensions (1 for a scalar, 0 when any dimension is 0)
     * @throws ArithmeticException when the product does not fit a long
     */
    public long numElements() {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof TensorInfo)) {
            return false;
        }
        TensorInfo t = (TensorInfo) o;
        return begin == t.begin && end == t.end && name.equals(t.name) && dtype == t.dtype
                && Arrays.equals(shape, t.shape);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, dtype, Arrays.hashCode(shape), begin, end);
    }

    @Override
    public String toString() {
        return "TensorInfo[name=" + name + ", dtype=" + dtype + ", shape=" + Arrays.toString(shape)
                + ", begin=" + begin + ", end=" + end + "]";
    }
}
