package io.github.peft4j.models.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.core.PeftFormatException;
import io.github.peft4j.core.files.AtomicFiles;
import io.github.peft4j.core.module.ModuleTree;
import io.github.peft4j.core.safetensors.SafetensorsCheckpoint;
import io.github.peft4j.models.HfModel;
import io.github.peft4j.models.ModelFactory;
import io.github.peft4j.models.config.ModelConfigs;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.peft4j.core.io.PythonJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Writes a model as a Hugging Face checkpoint directory: {@code config.json} and
 * {@code model.safetensors} (or shards with an index), F32, keys in the model's own layout, a tied
 * head written once under the embedding's name, exactly as transformers' {@code save_pretrained}.
 *
 * <pre>{@code
 * CheckpointWriter.save((HfModel) block, dir, SafetensorsCheckpoint.DEFAULT_MAX_SHARD_BYTES);
 * }</pre>
 */
public final class CheckpointWriter {

    private CheckpointWriter() {}

    /**
     * @param model the root block, holding no adapter layers
     * @param dir the target directory, created if missing
     * @param maxShardBytes the largest shard, e.g. {@link SafetensorsCheckpoint#DEFAULT_MAX_SHARD_BYTES}
     * @throws PeftCompatibilityException when the block tree is not the plain architecture (adapters
     *     not merged and unloaded)
     * @throws PeftFormatException when writing fails
     */
    public static void save(HfModel model, Path dir, long maxShardBytes) {
        Map<String, Parameter> params = ModuleTree.of(model.asBlock()).parameters();
        Set<String> plain = ModuleTree.of(ModelFactory.newModel(model.config(), null, model.architecture()).asBlock())
                .parameters().keySet();
        if (!params.keySet().equals(plain)) {
            Set<String> extra = new TreeSet<>(params.keySet());
            extra.removeAll(plain);
            Set<String> missing = new TreeSet<>(plain);
            missing.removeAll(params.keySet());
            throw new PeftCompatibilityException("the model's parameters are not those of a plain "
                    + model.architecture() + " (extra " + sample(extra) + ", missing " + sample(missing)
                    + "): merge and unload adapters (PeftModel.mergeAndUnload()) before saving a base checkpoint");
        }
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : params.entrySet()) {
            NDArray array = e.getValue().getArray();
            if (array.getDataType() != DataType.FLOAT32) {
                throw new PeftFormatException(dir, e.getKey(), "expected a FLOAT32 weight but found "
                        + array.getDataType());
            }
            tensors.put(e.getKey(), array);
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new PeftFormatException(dir, null, "cannot create the directory: " + e.getMessage(), e);
        }
        ObjectNode config = model.config().toJson();
        config.put("torch_dtype", "float32");
        config.putArray("architectures").add(model.architecture());
        AtomicFiles.write(dir.resolve(ModelConfigs.FILE_NAME),
                (PythonJson.write(config) + "\n").getBytes(StandardCharsets.UTF_8));
        SafetensorsCheckpoint.writeSharded(dir, tensors, maxShardBytes);
    }

    private static String sample(Set<String> keys) {
        if (keys.size() <= 5) {
            return keys.toString();
        }
        return keys.stream().limit(5).toList() + " and " + (keys.size() - 5) + " more";
    }
}
