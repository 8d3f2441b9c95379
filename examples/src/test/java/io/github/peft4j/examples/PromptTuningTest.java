package io.github.peft4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.peft4j.core.safetensors.SafetensorsFile;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PromptTuningTest {

    @TempDir
    Path tmp;

    @Test
    void theSoftPromptAloneLowersTheLoss() throws Exception {
        PromptTuning.Result r = PromptTuning.demo(Path.of("../assets/base-model"), tmp, 8);
        // 8 virtual tokens x hidden 256 of the bundled Llama, nothing else
        assertTrue(r.parameters().startsWith("trainable params: 2,048 ||"), r.parameters());
        assertTrue(r.lossAfter() < r.lossBefore(), r.lossBefore() + " -> " + r.lossAfter());
        assertTrue(!r.answer().isEmpty(), "no generated text");

        JsonNode config = new ObjectMapper().readTree(tmp.resolve("adapter_config.json").toFile());
        assertEquals("PROMPT_TUNING", config.get("peft_type").asText());
        assertEquals(8, config.get("num_virtual_tokens").asInt());
        try (SafetensorsFile f = SafetensorsFile.open(tmp.resolve("adapter_model.safetensors"))) {
            assertEquals(java.util.Set.of("prompt_embeddings"), java.util.Set.copyOf(f.names()));
            assertEquals(java.util.List.of(8L, 256L),
                    java.util.Arrays.stream(f.info("prompt_embeddings").shape()).boxed().toList());
        }
    }
}
