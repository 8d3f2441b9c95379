package io.github.peft4j.core.tuner;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Lets Java write tensor data straight into memory the engine owns (the safetensors reader's
 * weights, LoRA's dropout masks): a fresh array is made by
 * the engine ({@code manager.create(shape, type)}, uninitialised) and filled through the direct view
 * {@link NDArray#toByteBuffer(boolean) toByteBuffer(true)} returns on PyTorch's CPU. Compared with
 * building a Java direct buffer and wrapping it ({@code manager.create(buffer, ...)}), the weights
 * are not counted against {@code -XX:MaxDirectMemorySize} (which defaults to {@code -Xmx}: a 1B model
 * in F32 is 4.9 GB) and are freed when the array is closed, not when a garbage collection happens
 * to run. Engines or devices whose view is a copy are detected once and keep the old path.
 *
 * <pre>{@code
 * ByteBuffer view = EngineMemory.writableView(array);   // null: fill a buffer and create from it
 * }</pre>
 */
public final class EngineMemory {

    private static final Map<String, Boolean> WRITABLE = new ConcurrentHashMap<>();

    private EngineMemory() {}

    /**
     * @param manager the manager the array will belong to
     * @param shape its shape (not empty)
     * @param type its type
     * @return a fresh array of the engine's own memory, or {@code null} where Java cannot write it in place
     */
    public static NDArray create(NDManager manager, Shape shape, DataType type) {
        if (!writable(manager)) {
            return null;
        }
        NDArray array = manager.create(shape, type);
        ByteBuffer view = array.toByteBuffer(true);
        if (!view.isDirect() || view.isReadOnly() || view.capacity() != shape.size() * type.getNumOfBytes()) {
            array.close();
            return null;
        }
        return array;
    }

    /**
     * @param array an array made by {@link #create}
     * @return a little-endian view of its memory, positioned at 0 with its whole size remaining
     */
    public static ByteBuffer view(NDArray array) {
        return array.toByteBuffer(true).order(ByteOrder.LITTLE_ENDIAN).clear();
    }

    private static boolean writable(NDManager manager) {
        if (!Device.Type.CPU.equals(manager.getDevice().getDeviceType()) || ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            return false;
        }
        return WRITABLE.computeIfAbsent(manager.getEngine().getEngineName(), k -> probe(manager));
    }

    // whether a write through the view shows in the array: a copying engine would drop it silently
    private static boolean probe(NDManager manager) {
        try (NDManager m = manager.newSubManager()) {
            NDArray a = m.create(new Shape(1), DataType.FLOAT32);
            ByteBuffer v = a.toByteBuffer(true);
            if (!v.isDirect() || v.isReadOnly() || v.capacity() != 4) {
                return false;
            }
            v.order(ByteOrder.nativeOrder()).putFloat(0, 1.5f);
            return a.toFloatArray()[0] == 1.5f;
        } catch (RuntimeException e) {
            return false;
        }
    }
}
