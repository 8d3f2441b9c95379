package io.github.peft4j.spark.federated;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.peft4j.core.AdapterTensor;
import io.github.peft4j.core.PeftFormatException;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.files.AtomicFiles;
import io.github.peft4j.core.safetensors.SafetensorsWriter;
import io.github.peft4j.core.files.AtomicDirectory;
import io.github.peft4j.spark.TensorSnapshot;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes a round's global adapter in the HF PEFT layout, all or nothing ({@link AtomicDirectory}).
 * An adapter of another rank than the model's (FLoRA's stack) gets the model's config with
 * {@code r} and {@code lora_alpha} changed so that its scaling is the sites'.
 */
final class GlobalAdapterWriter {

    private static final ObjectMapper JSON = new ObjectMapper();

    private GlobalAdapterWriter() {}

    static void write(Path dir, PeftModel model, Aggregate agg, int rank, double scaling, boolean rslora) {
        AtomicDirectory.write(dir, "global adapter", tmp -> {
            if (agg.savedRank() == rank) {
                agg.saved().assignTo(SiteTask.tensors(model));
                model.save(tmp);
                return;
            }
            agg.next().assignTo(SiteTask.tensors(model));
            model.save(tmp);
            rewrite(tmp, model, agg, scaling, rslora);
        });
    }

    private static void rewrite(Path tmp, PeftModel model, Aggregate agg, double scaling, boolean rslora) {
        Path config = tmp.resolve("adapter_config.json");
        try {
            ObjectNode json = (ObjectNode) JSON.readTree(Files.readString(config));
            int r = agg.savedRank();
            json.put("r", r);
            json.put("lora_alpha", scaling * (rslora ? Math.sqrt(r) : r));
            AtomicFiles.write(config, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(json)
                    .getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new PeftFormatException(config, null, "cannot rewrite the config: " + e.getMessage(), e);
        }
        try (NDManager scratch = NDManager.newBaseManager()) {
            Map<String, NDArray> tensors = new LinkedHashMap<>();
            for (AdapterTensor t : model.tensors(model.activeAdapters().get(0))) {
                tensors.put(t.savedKey(), agg.saved().toArray(t.key(), scratch));
            }
            SafetensorsWriter.write(tmp.resolve("adapter_model.safetensors"), tensors, SafetensorsWriter.PT_METADATA);
        }
    }

    /** @return ‖ΔW(candidate) − exact‖_F / ‖exact‖_F over all modules */
    static double relativeError(TensorSnapshot candidate, Map<String, double[][]> exact, double scaling) {
        Map<String, double[][]> got = LoraFactors.deltas(candidate, scaling);
        double diff = 0;
        double norm = 0;
        for (Map.Entry<String, double[][]> e : exact.entrySet()) {
            double[][] g = got.get(e.getKey());
            for (int i = 0; i < g.length; i++) {
                for (int j = 0; j < g[i].length; j++) {
                    double x = e.getValue()[i][j];
                    diff += (g[i][j] - x) * (g[i][j] - x);
                    norm += x * x;
                }
            }
        }
        return norm == 0 ? Math.sqrt(diff) : Math.sqrt(diff / norm);
    }
}
