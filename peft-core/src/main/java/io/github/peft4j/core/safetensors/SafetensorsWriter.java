package io.github.peft4j.core.safetensors;

import io.github.peft4j.core.files.AtomicFiles;
import ai.djl.ndarray.NDArray;
import io.github.peft4j.core.PeftFormatException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Writes safetensors files byte-for-byte as the reference (Rust/Python) writer does.
 *
 * <p>Layout: tensors sorted by dtype (in the reference enum's order, widest alignment first), then
 * by name; consecutive offsets from 0; a compact JSON header with {@code __metadata__} first and the
 * tensors in offset order, formatted like serde_json; the header padded with spaces to a multiple of
 * 8 bytes so that every tensor is naturally aligned in the file; values little-endian.
 *
 * <p>Writes are atomic: the data goes to a temporary file in the same directory, is forced to disk
 * and renamed over the target, so a reader never sees a half-written file.
 *
 * <pre>{@code
 * try (NDManager m = NDManager.newBaseManager()) {
 *     SafetensorsWriter.write(dir.resolve("adapter_model.safetensors"),
 *             Map.of("base_model.model.h.0.attn.c_attn.lora_A.weight", m.randomNormal(new Shape(8, 768))));
 * }
 * // any dtype, from raw little-endian bytes:
 * SafetensorsWriter.writeEntries(file,
 *         Map.of("w", new SafetensorsWriter.Entry(SafetensorsDType.BF16, new long[] {2}, bytes)),
 *         Map.of("format", "pt"));
 * }</pre>
 */
public final class SafetensorsWriter {

    /** The metadata Hugging Face loaders require: {@code {"format":"pt"}}. */
    public static final Map<String, String> PT_METADATA = Map.of("format", "pt");

    private SafetensorsWriter() {
    }

    /**
     * A tensor given as raw bytes, for dtypes DJL cannot hold (BF16, F8, ...) or to copy a file
     * unchanged. The data must be little-endian and row-major, exactly {@link #byteSize()} bytes
     * from its position to its limit; it is read, never modified.
     *
     * <pre>{@code
     * ByteBuffer bf16 = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN)
     *         .putShort((short) 0x3f80).putShort((short) 0xc000).flip();   // 1.0, -2.0
     * new SafetensorsWriter.Entry(SafetensorsDType.BF16, new long[] {2}, bf16);
     * }</pre>
     *
     * @param dtype element type
     * @param shape dimensions (copied); empty for a scalar
     * @param data the bytes, from position to limit
     */
    public record Entry(SafetensorsDType dtype, long[] shape, ByteBuffer data) {

        /** Copies the shape and checks that the data size agrees with shape and dtype. */
        public Entry {
            Objects.requireNonNull(dtype, "dtype");
            shape = Objects.requireNonNull(shape, "shape").clone();
            // Our own view: later moves of the caller's position must not change what is written.
            data = Objects.requireNonNull(data, "data").asReadOnlyBuffer();
            long expected = expectedBytes(dtype, shape);
            if (data.remaining() != expected) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " of " + dtype
                        + " needs " + expected + " bytes but the buffer holds " + data.remaining());
            }
        }

        /**
         * The bytes of an NDArray, taken now (the array may be closed afterwards).
         *
         * @param array an array of a type listed by {@link SafetensorsDType#djlType()}
         * @return its entry
         * @throws PeftFormatException for types the PyTorch engine cannot read back (BF16, ...)
         */
        public static Entry of(NDArray array) {
            SafetensorsDType dtype = SafetensorsDType.of(array.getDataType());
            if (dtype.djlType().isEmpty()) {
                throw new PeftFormatException(null, array.getName(), "NDArray of type "
                        + array.getDataType() + " cannot be read back from PyTorch");
            }
            return new Entry(dtype, array.getShape().getShape(), bytesOf(array, dtype));
        }

        /** @return a copy of the shape */
        @Override
        public long[] shape() {
            return shape.clone();
        }

        /** @return a read-only view of the data, so that callers cannot move the position */
        @Override
        public ByteBuffer data() {
            return data.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
        }

        /** @return number of data bytes */
        public long byteSize() {
            return data.remaining();
        }

        @Override
        public boolean equals(Object o) {
            if (this == o) {
                return true;
            }
            if (!(o instanceof Entry)) {
                return false;
            }
            Entry e = (Entry) o;
            return dtype == e.dtype && Arrays.equals(shape, e.shape) && data.equals(e.data);
        }

        @Override
        public int hashCode() {
            return Objects.hash(dtype, Arrays.hashCode(shape), data);
        }

        @Override
        public String toString() {
            return "Entry[dtype=" + dtype + ", shape=" + Arrays.toString(shape) + ", bytes="
                    + data.remaining() + "]";
        }
    }

    /**
     * Writes NDArrays with {@code {"format":"pt"}} metadata.
     *
     * @param file the target, replaced atomically if it exists
     * @param tensors name to array
     * @throws PeftFormatException when a name or array cannot be written or the write fails
     */
    public static void write(Path file, Map<String, NDArray> tensors) {
        write(file, tensors, PT_METADATA);
    }

    /**
     * Writes NDArrays. Each array's bytes are fetched only when its turn comes, so at most one
     * tensor's copy is held in Java memory at a time.
     *
     * @param file the target, replaced atomically if it exists
     * @param tensors name to array
     * @param metadata the {@code __metadata__} entries, written in iteration order; {@code null} or
     *     empty writes no {@code __metadata__} key
     * @throws PeftFormatException when a name or array cannot be written or the write fails
     */
    public static void write(Path file, Map<String, NDArray> tensors, Map<String, String> metadata) {
        Objects.requireNonNull(tensors, "tensors");
        List<Item> items = new ArrayList<>(tensors.size());
        for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
            items.add(Item.of(file, e.getKey(), e.getValue()));
        }
        writeItems(file, items, metadata);
    }

    /**
     * Writes raw entries of any dtype, e.g. to copy a file byte for byte:
     * <pre>{@code
     * Map<String, SafetensorsWriter.Entry> all = new LinkedHashMap<>();
     * for (String n : in.names()) {
     *     all.put(n, in.entry(n));
     * }
     * SafetensorsWriter.writeEntries(out, all, in.metadata());
     * }</pre>
     *
     * @param file the target, replaced atomically if it exists
     * @param tensors name to entry
     * @param metadata the {@code __metadata__} entries, written in iteration order; {@code null} or
     *     empty writes no {@code __metadata__} key
     * @throws PeftFormatException when a name cannot be written or the write fails
     */
    public static void writeEntries(Path file, Map<String, Entry> tensors,
            Map<String, String> metadata) {
        Objects.requireNonNull(tensors, "tensors");
        List<Item> items = new ArrayList<>(tensors.size());
        for (Map.Entry<String, Entry> e : tensors.entrySet()) {
            Entry entry = Objects.requireNonNull(e.getValue(), e.getKey());
            items.add(new Item(e.getKey(), entry.dtype, entry.shape, entry.byteSize(),
                    () -> entry.data.duplicate()));
        }
        writeItems(file, items, metadata);
    }

    /**
     * The exact header bytes (JSON plus space padding, without the 8-byte length) the writer would
     * produce for these entries.
     *
     * @param tensors name to entry
     * @param metadata {@code __metadata__} entries or {@code null}
     * @return the padded header
     */
    public static byte[] header(Map<String, Entry> tensors, Map<String, String> metadata) {
        List<Item> items = new ArrayList<>();
        for (Map.Entry<String, Entry> e : tensors.entrySet()) {
            Entry entry = e.getValue();
            items.add(new Item(e.getKey(), entry.dtype, entry.shape, entry.byteSize(), null));
        }
        return header(null, sort(items), metadata);
    }

    // ---------------------------------------------------------------------------------------------

    @FunctionalInterface
    interface DataSource {
        ByteBuffer get();
    }

    /** A tensor to write; its bytes are produced on demand so NDArrays are copied one at a time. */
    static final class Item {
        final String name;
        final SafetensorsDType dtype;
        final long[] shape;
        final long byteSize;
        final DataSource data;
        final byte[] sortKey;

        Item(String name, SafetensorsDType dtype, long[] shape, long byteSize, DataSource data) {
            this.name = Objects.requireNonNull(name, "tensor name");
            this.dtype = dtype;
            this.shape = shape;
            this.byteSize = byteSize;
            this.data = data;
            // Rust compares String by UTF-8 bytes; Java's compareTo uses UTF-16 units, which
            // orders some non-BMP names differently.
            this.sortKey = name.getBytes(StandardCharsets.UTF_8);
        }

        static Item of(Path file, String name, NDArray array) {
            Objects.requireNonNull(array, name);
            SafetensorsDType dtype;
            try {
                dtype = SafetensorsDType.of(array.getDataType());
            } catch (RuntimeException e) {
                throw new PeftFormatException(file, name, e.getMessage(), e);
            }
            if (dtype.djlType().isEmpty()) {
                throw new PeftFormatException(file, name, "NDArray of type " + array.getDataType()
                        + " cannot be read back from PyTorch; convert it or write a raw Entry");
            }
            long[] shape = array.getShape().getShape();
            long bytes = expectedBytes(dtype, shape);
            return new Item(name, dtype, shape, bytes, () -> bytesOf(array, dtype));
        }
    }

    static long expectedBytes(SafetensorsDType dtype, long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, d);
        }
        long bytes = dtype.byteSizeOf(n);
        if (bytes < 0) {
            throw new IllegalArgumentException(n + " elements of " + dtype
                    + " are not a whole number of bytes");
        }
        return bytes;
    }

    private static ByteBuffer bytesOf(NDArray array, SafetensorsDType dtype) {
        ByteBuffer bb = array.toByteBuffer();
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN && dtype.bits() > 8) {
            // NDArray memory is in native order; the file is little-endian.
            ByteBuffer le = ByteBuffer.allocate(bb.remaining());
            int w = dtype.bits() / 8;
            for (int i = bb.position(); i < bb.limit(); i += w) {
                for (int k = w - 1; k >= 0; k--) {
                    le.put(bb.get(i + k));
                }
            }
            return le.flip();
        }
        return bb;
    }

    static List<Item> sort(List<Item> items) {
        List<Item> sorted = new ArrayList<>(items);
        // The reference writer: dtype descending in its enum order, then name.
        sorted.sort(Comparator.<Item>comparingInt(i -> i.dtype.ordinal()).reversed()
                .thenComparing((a, b) -> Arrays.compareUnsigned(a.sortKey, b.sortKey)));
        return sorted;
    }

    static void writeItems(Path file, List<Item> unsorted, Map<String, String> metadata) {
        List<Item> items = sort(unsorted);
        byte[] header = header(file, items, metadata);
        try {
            AtomicFiles.write(file, ch -> {
                ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
                prefix.putLong(header.length).flip();
                AtomicFiles.writeFully(ch, prefix);
                AtomicFiles.writeFully(ch, ByteBuffer.wrap(header));
                for (Item item : items) {
                    if (item.byteSize == 0) {
                        continue;
                    }
                    ByteBuffer data = item.data.get().duplicate();
                    if (data.remaining() != item.byteSize) {
                        throw new PeftFormatException(file, item.name, "expected " + item.byteSize
                                + " bytes of data but got " + data.remaining());
                    }
                    AtomicFiles.writeFully(ch, data);
                }
            });
        } catch (IOException e) {
            throw new PeftFormatException(file, null, "cannot write: " + e, e);
        }
    }

    private static byte[] header(Path file, List<Item> sorted, Map<String, String> metadata) {
        StringBuilder sb = new StringBuilder(64 + 96 * sorted.size());
        sb.append('{');
        boolean first = true;
        if (metadata != null && !metadata.isEmpty()) {
            sb.append("\"__metadata__\":{");
            boolean firstMeta = true;
            for (Map.Entry<String, String> m : metadata.entrySet()) {
                String k = m.getKey();
                String v = m.getValue();
                if (k == null || v == null) {
                    throw new PeftFormatException(file, SafetensorsHeader.METADATA_KEY,
                            "metadata keys and values must not be null");
                }
                checkEncodable(file, SafetensorsHeader.METADATA_KEY, k);
                checkEncodable(file, SafetensorsHeader.METADATA_KEY, v);
                if (!firstMeta) {
                    sb.append(',');
                }
                firstMeta = false;
                JsonText.appendSerde(sb, k);
                sb.append(':');
                JsonText.appendSerde(sb, v);
            }
            sb.append('}');
            first = false;
        }
        long offset = 0;
        for (Item item : sorted) {
            if (SafetensorsHeader.METADATA_KEY.equals(item.name)) {
                throw new PeftFormatException(file, item.name, "is reserved for metadata");
            }
            checkEncodable(file, item.name, item.name);
            if (!first) {
                sb.append(',');
            }
            first = false;
            JsonText.appendSerde(sb, item.name);
            sb.append(":{\"dtype\":\"").append(item.dtype.name()).append("\",\"shape\":[");
            for (int i = 0; i < item.shape.length; i++) {
                if (i > 0) {
                    sb.append(',');
                }
                sb.append(item.shape[i]);
            }
            long end = Math.addExact(offset, item.byteSize);
            sb.append("],\"data_offsets\":[").append(offset).append(',').append(end).append("]}");
            offset = end;
        }
        sb.append('}');
        int pad = (8 - (utf8Length(sb) % 8)) % 8;
        for (int i = 0; i < pad; i++) {
            sb.append(' ');
        }
        byte[] bytes = sb.toString().getBytes(StandardCharsets.UTF_8);
        if (bytes.length > SafetensorsHeader.MAX_HEADER_SIZE) {
            throw new PeftFormatException(file, null, "header would be " + bytes.length
                    + " bytes, over the " + SafetensorsHeader.MAX_HEADER_SIZE + "-byte limit");
        }
        return bytes;
    }

    private static void checkEncodable(Path file, String key, String s) {
        if (JsonText.unpairedSurrogate(s) >= 0) {
            throw new PeftFormatException(file, key,
                    "contains an unpaired surrogate, which UTF-8 cannot encode");
        }
    }

    private static int utf8Length(CharSequence s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n += 1;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c)) {
                n += 4;
                i++;
            } else {
                n += 3;
            }
        }
        return n;
    }
}
