package io.github.peft4j.core.safetensors;

import io.github.peft4j.core.files.AtomicFiles;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.PeftFormatException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * A Hugging Face model checkpoint in safetensors: one {@code model.safetensors} file, or shards
 * listed by {@code model.safetensors.index.json}. Tensors are read through {@link SafetensorsFile},
 * so they are validated on open and loaded lazily.
 *
 * <p>The index is checked on open: every shard it names must exist in the index's directory and
 * hold the tensors the weight map assigns to it.
 *
 * <pre>{@code
 * try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(Path.of("models/llama"));
 *      NDManager manager = NDManager.newBaseManager()) {
 *     NDArray emb = ckpt.load("model.embed_tokens.weight", manager);
 * }
 * // write in shards of at most 2 GB, as save_pretrained(max_shard_size="2GB") does:
 * SafetensorsCheckpoint.writeSharded(dir, stateDict, 2_000_000_000L);
 * }</pre>
 */
public final class SafetensorsCheckpoint implements TensorSource {

    private static final Logger LOG = LoggerFactory.getLogger(SafetensorsCheckpoint.class);

    /** File name of an unsharded checkpoint. */
    public static final String SINGLE_FILE = "model.safetensors";
    /** File name of the index of a sharded checkpoint. */
    public static final String INDEX_FILE = "model.safetensors.index.json";
    /** huggingface_hub's default {@code max_shard_size}, 5 GB (decimal). */
    public static final long DEFAULT_MAX_SHARD_BYTES = 5_000_000_000L;

    private static final Pattern SHARD_NAME = Pattern.compile("model-\\d{5}-of-\\d{5}\\.safetensors");
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private final Path path;
    private final Map<Path, SafetensorsFile> files;
    private final Map<String, SafetensorsFile> byTensor;
    private final List<String> names;

    private SafetensorsCheckpoint(Path path, Map<Path, SafetensorsFile> files,
            Map<String, SafetensorsFile> byTensor) {
        this.path = path;
        this.files = Collections.unmodifiableMap(files);
        this.byTensor = Collections.unmodifiableMap(byTensor);
        this.names = Collections.unmodifiableList(new ArrayList<>(byTensor.keySet()));
    }

    /**
     * Opens a checkpoint.
     *
     * @param dirOrFile a directory holding {@code model.safetensors} (preferred, as transformers
     *     does) or {@code model.safetensors.index.json}; or the path of a safetensors file or of an
     *     index file ({@code *.index.json})
     * @return the open checkpoint; close it when done
     * @throws PeftFormatException when nothing loadable is found, the index is malformed, a shard is
     *     missing or does not hold what the index says, or a file is malformed
     */
    public static SafetensorsCheckpoint open(Path dirOrFile) {
        if (Files.isDirectory(dirOrFile)) {
            Path single = dirOrFile.resolve(SINGLE_FILE);
            if (Files.isRegularFile(single)) {
                return openSingle(single);
            }
            Path index = dirOrFile.resolve(INDEX_FILE);
            if (Files.isRegularFile(index)) {
                return openIndex(index);
            }
            String hint = Files.exists(dirOrFile.resolve("pytorch_model.bin"))
                    ? "; only pickle weights (pytorch_model.bin) are present: convert them to safetensors"
                    : "";
            throw new PeftFormatException(dirOrFile, null, "directory has neither " + SINGLE_FILE
                    + " nor " + INDEX_FILE + hint);
        }
        if (!Files.exists(dirOrFile)) {
            throw new PeftFormatException(dirOrFile, null, "no such file or directory");
        }
        Path name = dirOrFile.getFileName();
        if (name != null && name.toString().endsWith(".index.json")) {
            return openIndex(dirOrFile);
        }
        return openSingle(dirOrFile);
    }

    private static SafetensorsCheckpoint openSingle(Path file) {
        SafetensorsFile f = SafetensorsFile.open(file);
        Map<String, SafetensorsFile> byTensor = new LinkedHashMap<>();
        for (String n : f.names()) {
            byTensor.put(n, f);
        }
        Map<Path, SafetensorsFile> files = new LinkedHashMap<>();
        files.put(file, f);
        return new SafetensorsCheckpoint(file, files, byTensor);
    }

    private static SafetensorsCheckpoint openIndex(Path index) {
        Map<String, String> weightMap = readWeightMap(index);
        Path dir = index.toAbsolutePath().normalize().getParent();
        // Shards in name order (model-00001-of-... first), so names() follows the data on disk.
        TreeMap<String, Path> shardPaths = new TreeMap<>();
        for (Map.Entry<String, String> e : weightMap.entrySet()) {
            String shard = e.getValue();
            if (shardPaths.containsKey(shard)) {
                continue;
            }
            Path p = dir.resolve(shard).normalize();
            if (!p.startsWith(dir) || p.equals(dir)) {
                throw new PeftFormatException(index, e.getKey(), "shard '" + shard
                        + "' lies outside the directory of the index");
            }
            if (!Files.isRegularFile(p)) {
                throw new PeftFormatException(index, e.getKey(), "shard '" + shard
                        + "' named in the weight map does not exist (expected at " + p + ")");
            }
            shardPaths.put(shard, p);
        }
        Map<Path, SafetensorsFile> files = new LinkedHashMap<>();
        try {
            Map<String, SafetensorsFile> byShard = new LinkedHashMap<>();
            for (Map.Entry<String, Path> s : shardPaths.entrySet()) {
                SafetensorsFile f = SafetensorsFile.open(s.getValue());
                files.put(s.getValue(), f);
                byShard.put(s.getKey(), f);
            }
            for (Map.Entry<String, String> e : weightMap.entrySet()) {
                SafetensorsFile f = byShard.get(e.getValue());
                if (!f.contains(e.getKey())) {
                    throw new PeftFormatException(index, e.getKey(), "the weight map puts it in '"
                            + e.getValue() + "' but that shard has no such tensor");
                }
            }
            Map<String, SafetensorsFile> byTensor = new LinkedHashMap<>();
            for (Map.Entry<String, SafetensorsFile> s : byShard.entrySet()) {
                SafetensorsFile f = s.getValue();
                for (String n : f.names()) {
                    if (s.getKey().equals(weightMap.get(n))) {
                        byTensor.put(n, f);
                    } else {
                        LOG.warn("{}: tensor '{}' in shard {} is not mapped to that shard by the index;"
                                + " ignoring it", index, n, s.getKey());
                    }
                }
            }
            return new SafetensorsCheckpoint(index, files, byTensor);
        } catch (RuntimeException e) {
            files.values().forEach(SafetensorsFile::close);
            throw e;
        }
    }

    private static Map<String, String> readWeightMap(Path index) {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readAllBytes(index));
        } catch (NoSuchFileException e) {
            throw new PeftFormatException(index, null, "file does not exist", e);
        } catch (JsonProcessingException e) {
            throw new PeftFormatException(index, null, "not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new PeftFormatException(index, null, "cannot read: " + e, e);
        }
        if (root == null || !root.isObject()) {
            throw new PeftFormatException(index, null, "the index must be a JSON object");
        }
        JsonNode metadata = root.get("metadata");
        if (metadata != null && !metadata.isObject() && !metadata.isNull()) {
            throw new PeftFormatException(index, "metadata", "must be an object");
        }
        JsonNode map = root.get("weight_map");
        if (map == null || !map.isObject()) {
            throw new PeftFormatException(index, "weight_map",
                    map == null ? "missing" : "must be an object of tensor name to shard file");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : map.properties()) {
            if (!e.getValue().isTextual()) {
                throw new PeftFormatException(index, e.getKey(),
                        "weight_map value must be a shard file name, found " + e.getValue());
            }
            out.put(e.getKey(), e.getValue().asText());
        }
        return out;
    }

    /** @return the file opened: the single safetensors file or the index */
    public Path path() {
        return path;
    }

    /** @return whether the checkpoint was opened through an index */
    public boolean isSharded() {
        return path.getFileName() != null && path.getFileName().toString().endsWith(".index.json");
    }

    /** @return the safetensors files of the checkpoint, in shard order */
    public List<Path> files() {
        return List.copyOf(files.keySet());
    }

    /** @return all tensor names: shard by shard, each in the order of its data */
    @Override
    public List<String> names() {
        return names;
    }

    /**
     * @param name a tensor name
     * @return whether the checkpoint holds it
     */
    public boolean contains(String name) {
        return byTensor.containsKey(name);
    }

    /**
     * @param name a tensor name
     * @return its header entry (offsets relative to its own file)
     * @throws PeftFormatException when the checkpoint has no such tensor
     */
    public TensorInfo info(String name) {
        return fileFor(name).info(name);
    }

    /**
     * @param name a tensor name
     * @return the file that holds it
     * @throws PeftFormatException when the checkpoint has no such tensor
     */
    public Path fileOf(String name) {
        return fileFor(name).path();
    }

    /**
     * Loads one tensor, as {@link SafetensorsFile#load}.
     *
     * @param name a tensor name
     * @param manager the manager that will own the array
     * @return the array
     */
    @Override
    public NDArray load(String name, NDManager manager) {
        return fileFor(name).load(name, manager);
    }

    /** Closes every file. Arrays already loaded remain valid. */
    @Override
    public void close() {
        files.values().forEach(SafetensorsFile::close);
    }

    @Override
    public String toString() {
        return "SafetensorsCheckpoint[" + path + ", " + files.size() + " file(s), " + names.size()
                + " tensors]";
    }

    private SafetensorsFile fileFor(String name) {
        SafetensorsFile f = byTensor.get(name);
        if (f == null) {
            throw new PeftFormatException(path, name, "tensor is absent from this checkpoint, which "
                    + "holds " + names.size() + " tensors" + SafetensorsFile.sample(names));
        }
        return f;
    }

    // ---------------------------------------------------------------------------------------------
    // Writing

    /**
     * Writes NDArrays as a checkpoint, splitting like huggingface_hub's
     * {@code split_state_dict_into_shards_factory}: tensors in map order fill a shard until the next
     * one would push it past {@code maxShardBytes}; a tensor larger than the limit gets a shard of
     * its own. One shard is written as {@code model.safetensors}, several as
     * {@code model-0000i-of-0000N.safetensors} plus {@code model.safetensors.index.json}. Every file
     * has {@code {"format":"pt"}} metadata; every file is written atomically, the index last; files
     * of an earlier save that the new layout does not use are then deleted so that {@link #open} can
     * never pick them up.
     *
     * @param dir the directory, created if missing
     * @param tensors name to array, in the order to shard them
     * @param maxShardBytes the most tensor bytes in one shard, e.g. {@link #DEFAULT_MAX_SHARD_BYTES}
     * @throws PeftConfigException when {@code maxShardBytes} is not positive
     * @throws PeftFormatException when writing fails
     */
    public static void writeSharded(Path dir, Map<String, NDArray> tensors, long maxShardBytes) {
        Objects.requireNonNull(tensors, "tensors");
        List<SafetensorsWriter.Item> items = new ArrayList<>(tensors.size());
        for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
            items.add(SafetensorsWriter.Item.of(dir, e.getKey(), e.getValue()));
        }
        writeShardedItems(dir, items, maxShardBytes);
    }

    /**
     * As {@link #writeSharded}, from raw entries of any dtype.
     *
     * @param dir the directory, created if missing
     * @param tensors name to entry, in the order to shard them
     * @param maxShardBytes the most tensor bytes in one shard
     */
    public static void writeShardedEntries(Path dir, Map<String, SafetensorsWriter.Entry> tensors,
            long maxShardBytes) {
        Objects.requireNonNull(tensors, "tensors");
        List<SafetensorsWriter.Item> items = new ArrayList<>(tensors.size());
        for (Map.Entry<String, SafetensorsWriter.Entry> e : tensors.entrySet()) {
            SafetensorsWriter.Entry entry = Objects.requireNonNull(e.getValue(), e.getKey());
            ByteBuffer data = entry.data();
            items.add(new SafetensorsWriter.Item(e.getKey(), entry.dtype(), entry.shape(),
                    entry.byteSize(), data::duplicate));
        }
        writeShardedItems(dir, items, maxShardBytes);
    }

    /**
     * A tensor whose bytes are made only when the writer reaches it, so that a checkpoint larger
     * than memory can be written (for example random weights generated tensor by tensor).
     *
     * <pre>{@code
     * new SafetensorsCheckpoint.StreamedTensor("model.norm.weight", SafetensorsDType.BF16,
     *         new long[] {2048}, () -> onesInBf16(2048));
     * }</pre>
     *
     * @param name the tensor name
     * @param dtype its element type
     * @param shape its dimensions
     * @param data makes the little-endian bytes, exactly shape × dtype of them; called once, when
     *     the tensor is written
     */
    public record StreamedTensor(String name, SafetensorsDType dtype, long[] shape, Supplier<ByteBuffer> data) {

        /** Checks the fields; the shape is copied. */
        public StreamedTensor {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(dtype, "dtype");
            shape = Objects.requireNonNull(shape, "shape").clone();
            Objects.requireNonNull(data, "data");
        }

        /** @return the number of data bytes the shape and dtype call for */
        public long byteSize() {
            return SafetensorsWriter.expectedBytes(dtype, shape);
        }

        /** @return a copy of the shape */
        @Override
        public long[] shape() {
            return shape.clone();
        }
    }

    /**
     * As {@link #writeSharded}, but each tensor's bytes are made when its turn comes and dropped
     * after it is written: at most one tensor is held in memory.
     *
     * @param dir the directory, created if missing
     * @param tensors the tensors, in the order to shard them
     * @param maxShardBytes the most tensor bytes in one shard
     */
    public static void writeShardedStreamed(Path dir, List<StreamedTensor> tensors, long maxShardBytes) {
        Objects.requireNonNull(tensors, "tensors");
        List<SafetensorsWriter.Item> items = new ArrayList<>(tensors.size());
        for (StreamedTensor t : tensors) {
            items.add(new SafetensorsWriter.Item(t.name(), t.dtype(), t.shape(), t.byteSize(), t.data()::get));
        }
        writeShardedItems(dir, items, maxShardBytes);
    }

    private static void writeShardedItems(Path dir, List<SafetensorsWriter.Item> items,
            long maxShardBytes) {
        if (maxShardBytes <= 0) {
            throw new PeftConfigException("maxShardBytes must be > 0, got " + maxShardBytes);
        }
        List<List<SafetensorsWriter.Item>> shards = split(items, maxShardBytes);
        long totalSize = 0;
        for (SafetensorsWriter.Item i : items) {
            totalSize = Math.addExact(totalSize, i.byteSize);
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new PeftFormatException(dir, null, "cannot create directory: " + e, e);
        }
        if (shards.size() <= 1) {
            SafetensorsWriter.writeItems(dir.resolve(SINGLE_FILE),
                    shards.isEmpty() ? List.of() : shards.get(0), SafetensorsWriter.PT_METADATA);
            deleteStale(dir, Set.of(SINGLE_FILE));
            return;
        }
        int n = shards.size();
        Map<String, String> weightMap = new LinkedHashMap<>();
        Set<String> written = new HashSet<>();
        for (int s = 0; s < n; s++) {
            String name = String.format("model-%05d-of-%05d.safetensors", s + 1, n);
            SafetensorsWriter.writeItems(dir.resolve(name), shards.get(s), SafetensorsWriter.PT_METADATA);
            for (SafetensorsWriter.Item i : shards.get(s)) {
                weightMap.put(i.name, name);
            }
            written.add(name);
        }
        byte[] index = indexJson(totalSize, weightMap).getBytes(StandardCharsets.UTF_8);
        Path indexPath = dir.resolve(INDEX_FILE);
        try {
            AtomicFiles.write(indexPath, ch -> AtomicFiles.writeFully(ch, ByteBuffer.wrap(index)));
        } catch (IOException e) {
            throw new PeftFormatException(indexPath, null, "cannot write: " + e, e);
        }
        written.add(INDEX_FILE);
        deleteStale(dir, written);
        LOG.debug("{}: wrote {} shards, {} tensor bytes", dir, n, totalSize);
    }

    /** huggingface_hub's greedy split, in map order. */
    static List<List<SafetensorsWriter.Item>> split(List<SafetensorsWriter.Item> items, long max) {
        List<List<SafetensorsWriter.Item>> shards = new ArrayList<>();
        List<SafetensorsWriter.Item> current = new ArrayList<>();
        long currentSize = 0;
        for (SafetensorsWriter.Item item : items) {
            if (item.byteSize > max) {
                shards.add(List.of(item));
                continue;
            }
            if (currentSize + item.byteSize > max) {
                shards.add(current);
                current = new ArrayList<>();
                currentSize = 0;
            }
            current.add(item);
            currentSize += item.byteSize;
        }
        if (!current.isEmpty()) {
            shards.add(current);
        }
        return shards;
    }

    /** The index as Python's {@code json.dumps(index, indent=2)} writes it (no final newline). */
    static String indexJson(long totalSize, Map<String, String> weightMap) {
        StringBuilder sb = new StringBuilder(64 + 80 * weightMap.size());
        sb.append("{\n  \"metadata\": {\n    \"total_size\": ").append(totalSize).append("\n  },\n");
        sb.append("  \"weight_map\": {");
        boolean first = true;
        for (Map.Entry<String, String> e : weightMap.entrySet()) {
            sb.append(first ? "\n    " : ",\n    ");
            first = false;
            JsonText.appendPython(sb, e.getKey());
            sb.append(": ");
            JsonText.appendPython(sb, e.getValue());
        }
        sb.append(first ? "}" : "\n  }").append("\n}");
        return sb.toString();
    }

    private static void deleteStale(Path dir, Set<String> keep) {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                boolean ours = name.equals(SINGLE_FILE) || name.equals(INDEX_FILE)
                        || SHARD_NAME.matcher(name).matches();
                if (ours && !keep.contains(name)) {
                    Files.deleteIfExists(p);
                    LOG.debug("{}: deleted stale checkpoint file {}", dir, name);
                }
            }
        } catch (IOException e) {
            throw new PeftFormatException(dir, null, "cannot remove files of an earlier save: " + e, e);
        }
    }
}
