package io.github.peft4j.spark;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.peft4j.core.PeftFormatException;
import io.github.peft4j.core.tuner.Tensors;
import io.github.peft4j.train.optim.NamedParameter;
import java.io.Serializable;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Named float32 tensors copied out of the engine, in order: what travels between the driver and
 * the executors (adapter weights, optimizer state, a site's update). Immutable once built.
 *
 * <pre>{@code
 * TensorSnapshot s = TensorSnapshot.of(params);   // copy out
 * s.assignTo(otherReplicaParams);                  // copy in, in place
 * }</pre>
 */
public final class TensorSnapshot implements Serializable {

    private static final long serialVersionUID = 1L;

    private final LinkedHashMap<String, long[]> shapes;
    private final LinkedHashMap<String, float[]> values;

    /**
     * @param shapes each tensor's shape, in order
     * @param values each tensor's values (row-major), same keys
     */
    public TensorSnapshot(Map<String, long[]> shapes, Map<String, float[]> values) {
        this.shapes = new LinkedHashMap<>(shapes);
        this.values = new LinkedHashMap<>(values);
        if (!this.shapes.keySet().equals(this.values.keySet())) {
            throw new IllegalArgumentException("shapes and values name different tensors");
        }
    }

    /** @param params parameters @return their current values */
    public static TensorSnapshot of(List<NamedParameter> params) {
        Map<String, NDArray> arrays = new LinkedHashMap<>();
        params.forEach(p -> arrays.put(p.name(), p.parameter().getArray()));
        return of(arrays);
    }

    /** @param arrays named arrays @return their current values as float32 */
    public static TensorSnapshot of(Map<String, NDArray> arrays) {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        Map<String, float[]> values = new LinkedHashMap<>();
        arrays.forEach((k, a) -> {
            shapes.put(k, a.getShape().getShape());
            values.put(k, a.toType(DataType.FLOAT32, false).toFloatArray());
        });
        return new TensorSnapshot(shapes, values);
    }

    /** @return the tensor names, in order */
    public List<String> names() {
        return List.copyOf(values.keySet());
    }

    /** @param name a tensor @return its shape */
    public long[] shape(String name) {
        return require(shapes.get(name), name).clone();
    }

    /** @param name a tensor @return its values (a copy) */
    public float[] values(String name) {
        return require(values.get(name), name).clone();
    }

    /** @return the number of floats in all tensors */
    public long size() {
        return values.values().stream().mapToLong(v -> v.length).sum();
    }

    /** @return name to values, read-only and not copied */
    Map<String, float[]> view() {
        return Collections.unmodifiableMap(values);
    }

    /** @param params the parameters to overwrite in place, each named in this snapshot */
    public void assignTo(List<NamedParameter> params) {
        for (NamedParameter p : params) {
            NDArray target = p.parameter().getArray();
            try (NDManager scratch = target.getManager().newSubManager()) {
                Tensors.assign(target, toArray(p.name(), scratch));
            }
        }
    }

    /**
     * @param name a tensor
     * @param manager the manager of the result
     * @return it as a float32 array
     */
    public NDArray toArray(String name, NDManager manager) {
        return manager.create(values(name), new Shape(shape(name)));
    }

    /** @param manager the manager of the results @return every tensor as an array */
    public Map<String, NDArray> toArrays(NDManager manager) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (String k : values.keySet()) {
            out.put(k, toArray(k, manager));
        }
        return out;
    }

    /**
     * @param other another snapshot of the same tensors
     * @return the largest absolute difference of any element
     */
    public double maxAbsDiff(TensorSnapshot other) {
        double max = 0;
        for (Map.Entry<String, float[]> e : values.entrySet()) {
            float[] b = require(other.values.get(e.getKey()), e.getKey());
            float[] a = e.getValue();
            if (a.length != b.length) {
                throw new IllegalArgumentException(e.getKey() + ": " + a.length + " vs " + b.length + " values");
            }
            for (int i = 0; i < a.length; i++) {
                max = Math.max(max, Math.abs((double) a[i] - b[i]));
            }
        }
        return max;
    }

    private static <T> T require(T value, String name) {
        if (value == null) {
            throw new PeftFormatException(null, name, "no such tensor in the snapshot");
        }
        return value;
    }
}
