package io.github.peft4j.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LoraPromptHybridTest {

    @TempDir
    Path tmp;

    @Test
    void bothAdaptersTrainAndReloadIdentically() {
        LoraPromptHybrid.Result r = LoraPromptHybrid.demo(Path.of("../assets/base-model"), tmp, 8);
        // LoRA A gets a gradient at once (B = 0 passes it through A only via B's gradient), B and the prompt too
        long loraTensors = r.gradientNorms().keySet().stream().filter(k -> k.contains("lora_")).count();
        long promptTensors = r.gradientNorms().keySet().stream().filter(k -> k.startsWith("prompt_encoder.")).count();
        assertTrue(loraTensors == 16 && promptTensors == 1, r.gradientNorms().keySet().toString());
        r.gradientNorms().forEach((k, v) -> {
            if (!k.contains("lora_A")) { // lora_A's gradient is zero while lora_B is zero, as in PEFT
                assertTrue(v > 0 && Float.isFinite(v), k + " got no gradient: " + v);
            }
        });
        assertTrue(r.losses()[r.losses().length - 1] < r.losses()[0], "loss did not fall");
        assertTrue(Files.isRegularFile(tmp.resolve("domain/adapter_model.safetensors")));
        assertTrue(Files.isRegularFile(tmp.resolve("style/adapter_model.safetensors")));
        assertArrayEquals(r.saved(), r.reloaded(), 1e-5f);
    }
}
