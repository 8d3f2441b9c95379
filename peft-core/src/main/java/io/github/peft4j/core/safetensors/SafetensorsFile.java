package io.github.peft4j.core.safetensors;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.peft4j.core.PeftFormatException;
import io.github.peft4j.core.tuner.EngineMemory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A safetensors file, validated on open and read lazily through memory mapping.
 *
 * <p>{@link #open} checks the whole header with the rules of the reference (Rust) parser: header
 * length limits, UTF-8, JSON structure, known dtypes, exactly the three fields per tensor, no
 * duplicate keys, string metadata, offsets that tile the data section with no hole or overlap,
 * sizes that agree with shape and dtype, and no trailing bytes. Every failure is a
 * {@link PeftFormatException} naming the file and, where there is one, the tensor.
 *
 * <p>{@link #load} copies every tensor into memory the engine owns (F32, F64, I64, I32, I8, U8 and
 * BOOL as stored; BF16 and F16 widened to F32 in Java): a loaded array never aliases the file, so
 * rewriting the file in place ({@code cp} over a served checkpoint) cannot change live weights and
 * truncating it cannot kill the JVM with SIGBUS, as reading a memory-mapped page past the new end
 * does (issue 24). The cost is anonymous memory equal to the tensor's size where a mapping would
 * have used the page cache; docs/reliability.md has the measurement. Other dtypes are only
 * available as bytes through {@link #rawBytes}, also a copy.
 *
 * <p>Reading is thread-safe. Arrays loaded from the file stay valid after {@link #close()} and
 * whatever later happens to the file.
 *
 * <pre>{@code
 * try (SafetensorsFile f = SafetensorsFile.open(Path.of("model.safetensors"));
 *      NDManager manager = NDManager.newBaseManager()) {
 *     f.metadata();                               // {format=pt}
 *     for (String name : f.names()) {
 *         NDArray w = f.load(name, manager);      // a copy: independent of the file
 *     }
 * }
 * }</pre>
 */
public final class SafetensorsFile implements TensorSource {

    private static final Logger LOG = LoggerFactory.getLogger(SafetensorsFile.class);

    private static final int CONVERT_CHUNK_ELEMENTS = 1 << 18;

    private final Path path;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, String> metadata;
    private final Map<String, TensorInfo> tensors;
    private final List<String> names;
    private volatile boolean closed;

    private SafetensorsFile(Path path, FileChannel channel, long dataStart, SafetensorsHeader header) {
        this.path = path;
        this.channel = channel;
        this.dataStart = dataStart;
        this.metadata = header.metadata;
        Map<String, TensorInfo> map = new LinkedHashMap<>();
        for (TensorInfo t : header.tensors) {
            map.put(t.name(), t);
        }
        this.tensors = Collections.unmodifiableMap(map);
        this.names = Collections.unmodifiableList(new ArrayList<>(map.keySet()));
    }

    /**
     * Opens and fully validates a safetensors file.
     *
     * @param file the file
     * @return the open file; close it when done
     * @throws PeftFormatException when the file is missing, unreadable or malformed
     */
    public static SafetensorsFile open(Path file) {
        FileChannel ch;
        try {
            ch = FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new PeftFormatException(file, null, "file does not exist", e);
        } catch (IOException e) {
            throw new PeftFormatException(file, null, "cannot open: " + e, e);
        }
        try {
            SafetensorsFile f = readHeader(file, ch);
            LOG.debug("{}: {} tensors, header {} bytes", file, f.tensors.size(), f.dataStart - 8);
            return f;
        } catch (RuntimeException e) {
            closeQuietly(ch);
            throw e;
        }
    }

    private static SafetensorsFile readHeader(Path file, FileChannel ch) {
        try {
            long size = ch.size();
            if (size < 8) {
                throw new PeftFormatException(file, null, "file is " + size
                        + " bytes, too small for the 8-byte header length");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0);
            long n = lenBuf.getLong(0);
            // The length is a u64: compare unsigned so that 2^63 and above count as huge.
            if (Long.compareUnsigned(n, SafetensorsHeader.MAX_HEADER_SIZE) > 0) {
                throw new PeftFormatException(file, null, "header length " + Long.toUnsignedString(n)
                        + " exceeds the limit of " + SafetensorsHeader.MAX_HEADER_SIZE + " bytes");
            }
            if (8 + n > size) {
                throw new PeftFormatException(file, null, "header length " + n
                        + " runs past the end of the file (8 + " + n + " > " + size + " bytes)");
            }
            // Safe to allocate now: n is at most 100 MB and within the file.
            byte[] header = new byte[(int) n];
            readFully(ch, ByteBuffer.wrap(header), 8);
            SafetensorsHeader parsed = SafetensorsHeader.parse(file, header, size);
            return new SafetensorsFile(file, ch, 8 + n, parsed);
        } catch (IOException e) {
            throw new PeftFormatException(file, null, "cannot read: " + e, e);
        }
    }

    /** @return the file this was opened from */
    public Path path() {
        return path;
    }

    /** @return the {@code __metadata__} entries in header order; empty when there are none */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** @return the tensor names in the order of their data in the file */
    @Override
    public List<String> names() {
        return names;
    }

    /** @return the absolute file position of the data section, {@code 8 + header length} */
    public long dataOffset() {
        return dataStart;
    }

    /**
     * @param name a tensor name
     * @return whether the file holds that tensor
     */
    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    /**
     * @param name a tensor name
     * @return its header entry
     * @throws PeftFormatException when the file has no such tensor
     */
    public TensorInfo info(String name) {
        TensorInfo info = tensors.get(name);
        if (info == null) {
            throw new PeftFormatException(path, name, "tensor is absent from this file, which holds "
                    + names.size() + " tensors" + sample(names));
        }
        return info;
    }

    /**
     * The tensor's bytes exactly as stored: little-endian, row-major.
     *
     * <p>The buffer is a read-only copy; do not pass it to {@link NDManager#create}, use
     * {@link #load} instead.
     *
     * @param name a tensor name
     * @return a read-only little-endian buffer positioned at 0 with {@code byteSize()} remaining
     * @throws PeftFormatException when the tensor is absent or the file cannot be read
     */
    public ByteBuffer rawBytes(String name) {
        TensorInfo info = info(name);
        ensureOpen();
        if (info.byteSize() == 0) {
            return ByteBuffer.allocate(0).asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
        }
        checkFitsBuffer(info, info.byteSize());
        ByteBuffer buf = ByteBuffer.allocate((int) info.byteSize());
        read(info, buf);
        // asReadOnlyBuffer resets the byte order, so set it afterwards.
        return buf.flip().asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * The tensor as a raw writer entry, for rewriting it with {@link SafetensorsWriter#writeEntries}
     * whatever its dtype.
     *
     * @param name a tensor name
     * @return dtype, shape and bytes of the tensor
     */
    public SafetensorsWriter.Entry entry(String name) {
        TensorInfo info = info(name);
        return new SafetensorsWriter.Entry(info.dtype(), info.shape(), rawBytes(name));
    }

    /**
     * Loads a tensor as an NDArray attached to {@code manager}.
     *
     * <p>F32, F64, I64, I32, I8, U8 and BOOL keep their type (zero-copy on the CPU when possible);
     * F16 and BF16 become FLOAT32.
     *
     * @param name a tensor name
     * @param manager the manager that will own the array
     * @return the array, named {@code name}
     * @throws PeftFormatException when the tensor is absent, its dtype cannot be held by DJL
     *     (I16, U16, U32, U64, C64, F8_*, F4, F6_*), or the file cannot be read
     */
    @Override
    public NDArray load(String name, NDManager manager) {
        TensorInfo info = info(name);
        ensureOpen();
        SafetensorsDType dtype = info.dtype();
        Shape shape = info.djlShape();
        long numel = info.numElements();
        NDArray array;
        switch (dtype) {
            case BF16:
            case F16:
                array = loadWidened(info, shape, numel, manager);
                break;
            case F32:
            case F64:
            case I64:
            case I32:
            case I8:
            case U8:
            case BOOL:
                array = loadDirect(info, shape, numel, dtype.djlType().orElseThrow(), manager);
                break;
            default:
                throw new PeftFormatException(path, name, "dtype " + dtype + " cannot be loaded as an"
                        + " NDArray (the PyTorch engine cannot hold it); read its bytes with rawBytes");
        }
        array.setName(name);
        return array;
    }

    /** Closes the file. Arrays already loaded remain valid. */
    @Override
    public void close() {
        closed = true;
        closeQuietly(channel);
    }

    @Override
    public String toString() {
        return "SafetensorsFile[" + path + ", " + names.size() + " tensors]";
    }

    private NDArray loadDirect(TensorInfo info, Shape shape, long numel, DataType type,
            NDManager manager) {
        if (numel == 0) {
            return manager.create(shape, type);
        }
        checkFitsBuffer(info, info.byteSize());
        return manager.create(copyToDirect(info), shape, type);
    }

    private ByteBuffer copyToDirect(TensorInfo info) {
        int size = (int) info.byteSize();
        ByteBuffer buf = ByteBuffer.allocateDirect(size).order(ByteOrder.LITTLE_ENDIAN);
        read(info, buf);
        buf.flip();
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            swapToNative(buf, info.dtype().elementAlignment());
        }
        return buf.order(ByteOrder.nativeOrder());
    }

    private NDArray loadWidened(TensorInfo info, Shape shape, long numel, NDManager manager) {
        if (numel == 0) {
            return manager.create(shape, DataType.FLOAT32);
        }
        checkFitsBuffer(info, Math.multiplyExact(numel, 4L));
        NDArray owned = EngineMemory.create(manager, shape, DataType.FLOAT32);
        ByteBuffer out = owned != null ? EngineMemory.view(owned)
                : ByteBuffer.allocateDirect((int) (numel * 4));
        try {
            widen(info, numel, out.order(ByteOrder.nativeOrder()).asFloatBuffer());
        } catch (RuntimeException e) {
            if (owned != null) {
                owned.close();
            }
            throw e;
        }
        return owned != null ? owned : manager.create(out, shape, DataType.FLOAT32);
    }

    /** Converts the F16/BF16 data chunk by chunk through this thread's scratch arrays (no garbage per tensor). */
    private void widen(TensorInfo info, long numel, FloatBuffer dst) {
        boolean bf16 = info.dtype() == SafetensorsDType.BF16;
        Scratch scratch = SCRATCH.get();
        ByteBuffer chunk = scratch.bytes;
        short[] halves = scratch.halves;
        float[] floats = scratch.floats;
        long position = dataStart + info.begin();
        long remaining = numel;
        try {
            while (remaining > 0) {
                int count = (int) Math.min(remaining, halves.length);
                chunk.clear().limit(count * 2);
                readFully(channel, chunk, position);
                chunk.flip();
                chunk.asShortBuffer().get(halves, 0, count);
                if (bf16) {
                    for (int i = 0; i < count; i++) {
                        floats[i] = HalfFloats.bf16ToFloat(halves[i]);
                    }
                } else {
                    for (int i = 0; i < count; i++) {
                        floats[i] = HalfFloats.f16ToFloat(halves[i]);
                    }
                }
                dst.put(floats, 0, count);
                position += count * 2L;
                remaining -= count;
            }
        } catch (IOException e) {
            throw new PeftFormatException(path, info.name(), "cannot read tensor data: " + e, e);
        }
    }

    /** Per-thread conversion buffers, reused by every tensor: loading a model leaves no garbage behind. */
    private static final class Scratch {
        final ByteBuffer bytes = ByteBuffer.allocate(CONVERT_CHUNK_ELEMENTS * 2).order(ByteOrder.LITTLE_ENDIAN);
        final short[] halves = new short[CONVERT_CHUNK_ELEMENTS];
        final float[] floats = new float[CONVERT_CHUNK_ELEMENTS];
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** Reads the tensor's bytes; a file that shrank since it was opened is a format error, not a crash. */
    private void read(TensorInfo info, ByteBuffer buf) {
        try {
            readFully(channel, buf, dataStart + info.begin());
        } catch (IOException e) {
            throw new PeftFormatException(path, info.name(), "cannot read tensor data: " + e, e);
        }
    }

    private void checkFitsBuffer(TensorInfo info, long bytes) {
        if (bytes > Integer.MAX_VALUE) {
            throw new PeftFormatException(path, info.name(), "tensor needs " + bytes
                    + " bytes, more than a single Java buffer (2 GiB) can hold");
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException(path + " is closed");
        }
    }

    private static void swapToNative(ByteBuffer buf, int width) {
        if (width == 1) {
            return;
        }
        for (int i = 0; i + width <= buf.limit(); i += width) {
            for (int a = i, b = i + width - 1; a < b; a++, b--) {
                byte t = buf.get(a);
                buf.put(a, buf.get(b));
                buf.put(b, t);
            }
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
        long pos = position;
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos);
            if (n < 0) {
                throw new IOException("unexpected end of file at byte " + pos);
            }
            pos += n;
        }
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException e) {
            LOG.debug("close failed: {}", e.toString());
        }
    }

    static String sample(List<String> names) {
        if (names.isEmpty()) {
            return "";
        }
        int shown = Math.min(10, names.size());
        return ": " + names.subList(0, shown).stream().collect(Collectors.joining(", "))
                + (names.size() > shown ? ", ..." : "");
    }
}
