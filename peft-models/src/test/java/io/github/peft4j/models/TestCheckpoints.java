package io.github.peft4j.models;

import io.github.peft4j.core.safetensors.SafetensorsDType;
import io.github.peft4j.core.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * Writes checkpoint directories as transformers' {@code save_pretrained} lays them out, from a
 * {@code config.json} text and the Hugging Face key names and shapes a test spells out itself, with
 * random F32 values: 2-D weights N(0, 1/sqrt(in)), 1-D norm weights 1 + N(0, 0.1), other 1-D
 * tensors N(0, 0.1). Nothing of the model code under test is used.
 */
public final class TestCheckpoints {

    private TestCheckpoints() {}

    /**
     * @param dir the directory, created if missing
     * @param configJson the {@code config.json} text
     * @param shapes tensor key to shape, in file order
     * @param seed the seed of the values
     * @return {@code dir/model.safetensors}
     */
    public static Path write(Path dir, String configJson, Map<String, long[]> shapes, long seed) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), configJson, StandardCharsets.UTF_8);
        Random random = new Random(seed);
        Map<String, SafetensorsWriter.Entry> entries = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
            long[] shape = e.getValue();
            int size = 1;
            for (long d : shape) {
                size *= (int) d;
            }
            boolean norm = e.getKey().contains("norm") || e.getKey().contains("LayerNorm");
            ByteBuffer data = ByteBuffer.allocate(4 * size).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < size; i++) {
                double g = random.nextGaussian();
                double v = shape.length == 2 ? g / Math.sqrt(shape[1]) : norm && e.getKey().endsWith("weight")
                        ? 1 + 0.1 * g : 0.1 * g;
                data.putFloat((float) v);
            }
            entries.put(e.getKey(), new SafetensorsWriter.Entry(SafetensorsDType.F32, shape, data.flip()));
        }
        Path file = dir.resolve("model.safetensors");
        SafetensorsWriter.writeEntries(file, entries, SafetensorsWriter.PT_METADATA);
        return file;
    }

    /** @return a shape */
    public static long[] shape(long... dims) {
        return dims;
    }
}
