package io.github.peft4j.train.optim;

import ai.djl.ndarray.NDArray;
import io.github.peft4j.core.PeftFormatException;
import java.nio.file.Path;
import java.util.Map;

/** Restores optimizer state tensors with the checks every optimizer needs. */
final class StateTensors {

    private StateTensors() {}

    static void restore(NDArray target, Map<String, NDArray> saved, String key, Path source) {
        NDArray value = saved.get(key);
        if (value == null) {
            throw new PeftFormatException(source, key,
                    "missing optimizer state; the checkpoint was written for other trainable parameters"
                            + " (expected shape " + target.getShape() + ")");
        }
        if (!value.getShape().equals(target.getShape())) {
            throw new PeftFormatException(source, key,
                    "expected shape " + target.getShape() + " but found " + value.getShape());
        }
        if (value.getDataType() != target.getDataType()) {
            throw new PeftFormatException(source, key,
                    "expected dtype " + target.getDataType() + " but found " + value.getDataType());
        }
        target.set(value.toByteBuffer());
    }
}
