package io.github.peft4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.models.HfModels;
import io.github.peft4j.models.PretrainedModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SparkTrainingTest {

    @TempDir
    Path tmp;

    @Test
    void curatesAndTrainsInLocalModeAndWritesALoadableAdapter() throws IOException {
        SparkTraining.main(new String[] {"../assets/base-model", "../assets/data/support/train.jsonl",
                tmp.toString(), "2", "local[2]"});
        assertTrue(Files.isRegularFile(tmp.resolve("adapter_model.safetensors")));
        assertEquals(2, Files.readAllLines(tmp.resolve("metrics.jsonl")).size());
        try (NDManager manager = NDManager.newBaseManager();
                PretrainedModel base = HfModels.load(Path.of("../assets/base-model"), manager);
                PeftModel model = PeftModel.fromPretrained(base.block(), tmp)) {
            assertTrue(model.tensors("default").stream().anyMatch(t -> t.key().contains("q_proj.lora_A")));
        }
    }
}
