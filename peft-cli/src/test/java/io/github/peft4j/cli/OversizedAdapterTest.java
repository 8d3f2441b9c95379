package io.github.peft4j.cli;

import static io.github.peft4j.cli.Cli.capture;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.peft4j.cli.Cli.Captured;
import io.github.peft4j.core.PeftFormatException;
import io.github.peft4j.core.io.AdapterDirectory;
import io.github.peft4j.core.safetensors.SafetensorsWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Issue 24, item 3: every size in adapter_config.json is checked against the tensors file before
 * anything is allocated; {@code peft4j inspect} says so in one line and exits 1.
 */
class OversizedAdapterTest {

    @TempDir
    Path tmp;

    private Path adapter(String json, String tensor, long... shape) {
        Path dir = tmp.resolve("adapter");
        try (NDManager m = NDManager.newBaseManager()) {
            SafetensorsWriter.write(dir.resolve("adapter_model.safetensors"), Map.of(tensor, m.ones(new Shape(shape))));
            Files.writeString(dir.resolve("adapter_config.json"), json);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return dir;
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "r|{\"peft_type\": \"LORA\", \"r\": 100000, \"target_modules\": [\"q_proj\"]}|base_model.model.q_proj.lora_A.weight",
        "rank_pattern.q_proj|{\"peft_type\": \"LORA\", \"r\": 8, \"rank_pattern\": {\"q_proj\": 1000000000}, \"target_modules\": [\"q_proj\"]}|base_model.model.q_proj.lora_A.weight",
        "num_virtual_tokens|{\"peft_type\": \"PROMPT_TUNING\", \"task_type\": \"CAUSAL_LM\", \"num_virtual_tokens\": 100000000, \"token_dim\": 16}|prompt_embeddings",
        "bottleneck_size|{\"peft_type\": \"BOTTLENECK\", \"bottleneck_size\": 100000000}|base_model.model.layers.0.mlp.adapter_down.weight",
    })
    void aSizeLargerThanTheSavedTensorsIsRefusedBeforeAllocating(String key, String json, String tensor) throws Exception {
        Path dir = adapter(json, tensor, 8, 16);
        long start = System.nanoTime();
        PeftFormatException e = assertThrows(PeftFormatException.class, () -> AdapterDirectory.readForLoading(dir));
        assertEquals(key, e.key());
        assertTrue(e.getMessage().contains("adapter_config.json") && e.getMessage().contains("largest 16"), e.getMessage());

        Captured inspect = capture(() -> Peft4j.run("inspect", dir.toString()));
        assertEquals(1, inspect.status(), inspect.out());
        assertEquals(1, inspect.err().strip().lines().count(), inspect.err());
        assertTrue(inspect.err().startsWith("peft4j inspect: ") && inspect.err().contains("'" + key + "'"), inspect.err());
        assertTrue(System.nanoTime() - start < 5_000_000_000L, "refused at once");
    }
}
