package io.github.peft4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.models.HfModels;
import io.github.peft4j.models.PretrainedModel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LoraQuickstartTest {

    @TempDir
    Path tmp;

    @Test
    void trainsAndWritesALoadableAdapter() {
        LoraQuickstart.main(new String[] {"../assets/base-model", "../assets/data/support/train.jsonl",
                tmp.toString(), "2"});
        assertTrue(Files.isRegularFile(tmp.resolve("adapter_model.safetensors")));
        try (NDManager manager = NDManager.newBaseManager();
                PretrainedModel base = HfModels.load(Path.of("../assets/base-model"), manager);
                PeftModel model = PeftModel.fromPretrained(base.block(), tmp)) {
            assertEquals(2, model.tensors("default").stream().map(t -> t.key().contains("lora_A") ? "A" : "B")
                    .distinct().count());
        }
    }
}
