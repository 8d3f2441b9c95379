package io.github.peft4j.core.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.github.peft4j.core.PeftConfig;
import io.github.peft4j.core.PeftFormatException;
import io.github.peft4j.core.safetensors.SafetensorsDType;
import io.github.peft4j.core.safetensors.SafetensorsFile;
import io.github.peft4j.core.safetensors.TensorInfo;
import io.github.peft4j.core.safetensors.SafetensorsWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An adapter directory in the Hugging Face PEFT layout: {@value AdapterConfigJson#FILE_NAME} and
 * {@value #WEIGHTS_FILE}. The default adapter lives in the directory itself, any other in
 * {@code <dir>/<adapter name>/}. Pickle files ({@value #PICKLE_FILE}) are refused: they can run
 * code when read.
 *
 * <pre>{@code
 * AdapterDirectory.Contents c = AdapterDirectory.read(Path.of("adapters/support"));
 * PeftConfig config = c.config();
 * Map<String, NDArray> tensors = c.loadTensors(manager);
 * }</pre>
 */
public final class AdapterDirectory {

    /** The weights file PEFT writes by default. */
    public static final String WEIGHTS_FILE = "adapter_model.safetensors";

    /** PEFT's legacy pickle weights file. */
    public static final String PICKLE_FILE = "adapter_model.bin";

    private static final Set<SafetensorsDType> FLOATING =
            EnumSet.of(SafetensorsDType.F16, SafetensorsDType.BF16, SafetensorsDType.F32, SafetensorsDType.F64);

    /** Sizes a config may declare without a saved tensor that large: cheap to allocate, then refused by name. */
    static final long UNBACKED_SIZE_LIMIT = 1024;

    private AdapterDirectory() {}

    /**
     * @param dir the directory given to save
     * @param adapterName the adapter
     * @param defaultName the name saved at the top level
     * @return where that adapter's files go
     */
    public static Path location(Path dir, String adapterName, String defaultName) {
        return adapterName.equals(defaultName) ? dir : dir.resolve(adapterName);
    }

    /**
     * Writes both files atomically (each through a temporary file and a rename); the weights are
     * written first so that a directory with a config always has its weights.
     *
     * @param dir the adapter's directory (created if needed)
     * @param config its config ({@code inference_mode} is written as {@code true})
     * @param tensors the tensors, keyed as on disk; written as F32 as PEFT does by default
     */
    public static void write(Path dir, PeftConfig config, Map<String, NDArray> tensors) {
        Map<String, NDArray> f32 = new LinkedHashMap<>();
        List<NDArray> converted = new ArrayList<>();
        try {
            for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
                NDArray a = e.getValue();
                if (a.getDataType() != DataType.FLOAT32) {
                    a = a.toType(DataType.FLOAT32, true);
                    converted.add(a);
                }
                f32.put(e.getKey(), a);
            }
            SafetensorsWriter.write(dir.resolve(WEIGHTS_FILE), f32);
        } finally {
            converted.forEach(NDArray::close);
        }
        AdapterConfigJson.write(dir.resolve(AdapterConfigJson.FILE_NAME), config);
    }

    /**
     * What an adapter directory holds.
     *
     * @param dir the directory
     * @param config the parsed config
     * @param weightsFile the safetensors file
     */
    public record Contents(Path dir, PeftConfig config, Path weightsFile) {

        /**
         * @param manager the manager for the tensors
         * @return every tensor of the weights file, keyed as on disk
         */
        public Map<String, NDArray> loadTensors(NDManager manager) {
            Map<String, NDArray> tensors;
            try (SafetensorsFile file = SafetensorsFile.open(weightsFile)) {
                tensors = file.loadAll(manager);
            }
            for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
                // NaN or infinity in one adapter tensor turns every output of the model into NaN
                if (!isFinite(e.getValue())) {
                    throw new PeftFormatException(weightsFile, e.getKey(), "holds NaN or infinite values;"
                            + " adapter tensors must be finite");
                }
            }
            return tensors;
        }
    }

    private static boolean isFinite(NDArray a) {
        if (a.isEmpty() || !a.getDataType().isFloating()) {
            return true;
        }
        try (NDArray inf = a.isInfinite(); NDArray nan = a.isNaN(); NDArray bad = inf.logicalOr(nan);
                NDArray any = bad.any()) {
            return !any.getBoolean();
        }
    }

    /**
     * @param dir an adapter directory
     * @return its config and weights file, checked to exist
     * @throws PeftFormatException naming the file if one is missing, is a pickle, or does not parse
     */
    public static Contents read(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new PeftFormatException(dir, null, "not a directory; an adapter is a directory holding "
                    + AdapterConfigJson.FILE_NAME + " and " + WEIGHTS_FILE);
        }
        Path weights = dir.resolve(WEIGHTS_FILE);
        if (!Files.isRegularFile(weights)) {
            if (Files.isRegularFile(dir.resolve(PICKLE_FILE))) {
                throw new PeftFormatException(dir.resolve(PICKLE_FILE), null,
                        "pickle weights are not supported (reading them can run code). Convert them once in Python:"
                                + " from safetensors.torch import save_file; import torch;"
                                + " save_file(torch.load('adapter_model.bin', weights_only=True),"
                                + " 'adapter_model.safetensors', metadata={'format': 'pt'})");
            }
            throw new PeftFormatException(weights, null, "missing: no adapter weights in " + dir);
        }
        Path configFile = dir.resolve(AdapterConfigJson.FILE_NAME);
        if (!Files.isRegularFile(configFile)) {
            throw new PeftFormatException(configFile, null, "missing: an adapter needs its config");
        }
        return new Contents(dir, AdapterConfigJson.read(configFile), weights);
    }

    /**
     * {@link #read}, then the tensors file's header checked against the config before anything is
     * allocated: floating-point tensors only, and every size the config declares
     * ({@link PeftConfig#declaredSizes}) backed by a saved tensor.
     *
     * <pre>{@code
     * AdapterDirectory.Contents c = AdapterDirectory.readForLoading(Path.of("adapters/support"));
     * }</pre>
     *
     * @param dir an adapter directory
     * @return its config and weights file
     * @throws PeftFormatException naming the file and the key or tensor at fault
     */
    public static Contents readForLoading(Path dir) {
        Contents contents = read(dir);
        checkHeader(contents.config(), dir.resolve(AdapterConfigJson.FILE_NAME), contents.weightsFile());
        return contents;
    }

    /**
     * Checks the tensors file's header against the config before anything is allocated. Adapter
     * tensors are floating point (integer and boolean ones were silently cast, issue 24). Every
     * size the config allocates by must be backed by the saved tensors ({@code r: 100000} cost
     * 6.8 GB before a shape check refused the file): a saved adapter holds a non-empty tensor with
     * a dimension at least that large. Sizes up to {@link #UNBACKED_SIZE_LIMIT} pass unchecked, so
     * that a file missing a tensor is reported by name when the tensors are matched.
     */
    private static void checkHeader(PeftConfig config, Path configFile, Path weights) {
        Map<String, Long> sizes = config.declaredSizes();
        long largest = 0;
        try (SafetensorsFile file = SafetensorsFile.open(weights)) {
            for (String name : file.names()) {
                TensorInfo info = file.info(name);
                if (!FLOATING.contains(info.dtype())) {
                    throw new PeftFormatException(weights, name, "dtype " + info.dtype() + ": adapter tensors are"
                            + " floating point (" + FLOATING + ")");
                }
                if (info.numElements() > 0) {
                    for (long d : info.shape()) {
                        largest = Math.max(largest, d);
                    }
                }
            }
        }
        for (Map.Entry<String, Long> size : sizes.entrySet()) {
            if (size.getValue() > Math.max(largest, UNBACKED_SIZE_LIMIT)) {
                throw new PeftFormatException(configFile, size.getKey(), size.getValue() + " is larger than any tensor"
                        + " dimension in " + weights.getFileName() + " (largest " + largest + "); refused before"
                        + " allocating anything");
            }
        }
    }
}
