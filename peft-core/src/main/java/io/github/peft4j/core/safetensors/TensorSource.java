package io.github.peft4j.core.safetensors;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Named tensors that can be loaded one at a time: a single {@link SafetensorsFile} or a sharded
 * {@link SafetensorsCheckpoint}.
 *
 * <pre>{@code
 * try (TensorSource source = SafetensorsCheckpoint.open(modelDir);
 *      NDManager manager = NDManager.newBaseManager()) {
 *     Map<String, NDArray> all = source.loadAll(manager);
 * }
 * }</pre>
 */
public interface TensorSource extends AutoCloseable {

    /** @return the tensor names, in the source's order */
    List<String> names();

    /**
     * @param name a tensor name
     * @param manager the manager that will own the array
     * @return the tensor
     */
    NDArray load(String name, NDManager manager);

    /**
     * Loads every tensor in {@link #names()} order. On failure the arrays already loaded are closed.
     *
     * @param manager the manager that will own the arrays
     * @return name to array
     */
    default Map<String, NDArray> loadAll(NDManager manager) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        try {
            for (String name : names()) {
                out.put(name, load(name, manager));
            }
        } catch (RuntimeException e) {
            out.values().forEach(NDArray::close);
            throw e;
        }
        return out;
    }

    /** Closes the underlying files. Arrays already loaded remain valid. */
    @Override
    void close();
}
