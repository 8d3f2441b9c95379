package io.github.peft4j.bench.jmh;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.peft4j.core.safetensors.SafetensorsFile;
import io.github.peft4j.core.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Loading a {@code megabytes}-MiB safetensors file of four float32 tensors with
 * {@link SafetensorsFile#load} (mapped, then every tensor summed so that each page is really read)
 * against reading the same file into a direct {@link ByteBuffer} with a {@link FileChannel}
 * ({@link #readIntoDirectBuffer}). The file is written once per trial, so both read it from the
 * page cache: this measures the in-memory path, not the disk. GB/s = file size ÷ time per operation.
 *
 * <pre>{@code
 * peft-bench/run-jmh.sh SafetensorsLoadBench
 * }</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class SafetensorsLoadBench {

    static final int TENSORS = 4;

    @Param("64")
    public int megabytes;

    private NDManager manager;
    private Path dir;
    private Path file;
    private ByteBuffer target;

    @Setup
    public void setUp() throws IOException {
        manager = NDManager.newBaseManager();
        dir = Files.createTempDirectory("peft4j-jmh-safetensors");
        file = dir.resolve("adapter_model.safetensors");
        long perTensor = (long) megabytes * 1024 * 1024 / TENSORS / Float.BYTES;
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        try (NDManager scratch = manager.newSubManager()) {
            for (int i = 0; i < TENSORS; i++) {
                // Tensor i holds the value i + 1 everywhere: its sum is exact in float32 up to 2^24.
                tensors.put("layers." + i + ".weight", scratch.full(new Shape(perTensor), i + 1f, DataType.FLOAT32));
            }
            SafetensorsWriter.write(file, tensors);
        }
        target = ByteBuffer.allocateDirect(Math.toIntExact(Files.size(file)));
    }

    @TearDown
    public void tearDown() throws IOException {
        manager.close();
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** @return the sum of all values in the file */
    @Benchmark
    public double safetensorsLoadAndSum() {
        double total = 0;
        try (SafetensorsFile st = SafetensorsFile.open(file); NDManager sub = manager.newSubManager()) {
            for (String name : st.names()) {
                total += st.load(name, sub).sum().getFloat();
            }
        }
        return total;
    }

    /** @return the number of bytes read: the whole file */
    @Benchmark
    public long readIntoDirectBuffer() {
        target.clear();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long read = 0;
            while (target.hasRemaining()) {
                int n = ch.read(target, read);
                if (n < 0) {
                    break;
                }
                read += n;
            }
            return read;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @return the file the trial wrote */
    Path file() {
        return file;
    }
}
