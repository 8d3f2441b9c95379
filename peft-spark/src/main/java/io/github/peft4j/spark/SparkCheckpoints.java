package io.github.peft4j.spark;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.peft4j.core.PeftFormatException;
import io.github.peft4j.core.PeftMethods;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.files.AtomicDirectory;
import io.github.peft4j.core.files.AtomicFiles;
import io.github.peft4j.core.io.AdapterDirectory;
import io.github.peft4j.core.safetensors.SafetensorsFile;
import io.github.peft4j.core.safetensors.SafetensorsWriter;
import io.github.peft4j.train.optim.NamedParameter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Data-parallel checkpoints: {@code checkpoint-N/} holds the adapter in the HF PEFT layout,
 * {@code optimizer.safetensors} and {@code spark_state.json} (step, data position, optimizer step
 * count), written by the driver between barrier stages, atomically.
 */
final class SparkCheckpoints {

    static final String PREFIX = "checkpoint-";
    static final String OPTIMIZER_FILE = "optimizer.safetensors";
    static final String STATE_FILE = "spark_state.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private SparkCheckpoints() {}

    static Path write(Path outputDir, SegmentState state, PeftModel model, List<NamedParameter> params) {
        Path dir = outputDir.resolve(PREFIX + state.step());
        state.adapter().assignTo(params);
        AtomicDirectory.write(dir, "checkpoint", tmp -> {
            model.save(tmp);
            try (NDManager scratch = NDManager.newBaseManager()) {
                SafetensorsWriter.write(tmp.resolve(OPTIMIZER_FILE), state.optimizer().toArrays(scratch));
            }
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("global_step", state.step());
            json.put("data_epoch", state.epoch());
            json.put("data_batch", state.batch());
            json.put("optimizer_steps", state.optimizerSteps());
            try {
                AtomicFiles.write(tmp.resolve(STATE_FILE), JSON.writerWithDefaultPrettyPrinter()
                        .writeValueAsString(json).getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new PeftFormatException(tmp.resolve(STATE_FILE), null, e.getMessage(), e);
            }
        });
        return dir;
    }

    static SegmentState read(Path checkpoint, PeftModel model, List<NamedParameter> params) {
        Path stateFile = checkpoint.resolve(STATE_FILE);
        JsonNode json;
        try {
            json = JSON.readTree(Files.readString(stateFile));
        } catch (IOException e) {
            throw new PeftFormatException(stateFile, null, "cannot read the checkpoint state: " + e.getMessage(), e);
        }
        String name = model.activeAdapters().get(0);
        AdapterDirectory.Contents contents = AdapterDirectory.read(
                AdapterDirectory.location(checkpoint, name, PeftModel.DEFAULT_ADAPTER));
        try (NDManager scratch = model.manager().newSubManager()) {
            PeftMethods.forType(contents.config().peftType()).loadSavedStateDict(model.injectionContext(), name,
                    contents.loadTensors(scratch), contents.weightsFile());
        }
        TensorSnapshot optimizer;
        try (SafetensorsFile f = SafetensorsFile.open(checkpoint.resolve(OPTIMIZER_FILE));
                NDManager scratch = NDManager.newBaseManager()) {
            Map<String, ai.djl.ndarray.NDArray> arrays = new LinkedHashMap<>();
            for (String k : f.names()) {
                arrays.put(k, f.load(k, scratch));
            }
            optimizer = TensorSnapshot.of(arrays);
        }
        return new SegmentState(json.path("global_step").asInt(), json.path("data_epoch").asInt(),
                json.path("data_batch").asInt(), TensorSnapshot.of(params), optimizer,
                json.path("optimizer_steps").asLong());
    }
}
