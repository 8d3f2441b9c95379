package io.github.peft4j.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.github.peft4j.core.testtuner.DeltaConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 24 item 5: typed errors of loading an adapter name its directory and keep their type. */
class AdapterLoadErrorsTest {

    @TempDir
    Path tmp;

    /** Saves a q/v adapter, then rewrites one value of its config. */
    private Path savedWith(NDManager manager, String from, String to) throws IOException {
        Path dir = tmp.resolve("tenant-a");
        try (PeftModel model = PeftModel.create(ToyModels.llamaLike(manager, 8, 2, 11),
                DeltaConfig.builder().targetModules("q_proj").r(2).build())) {
            model.save(dir);
        }
        Path config = dir.resolve("adapter_config.json");
        String json = Files.readString(config);
        assertTrue(json.contains(from), json);
        Files.writeString(config, json.replace(from, to));
        return dir;
    }

    @Test
    void unknownTargetModulesNameTheAdapterDirectory() throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            Path dir = savedWith(manager, "\"q_proj\"", "\"nonexistent\"");
            try (PeftModel model = PeftModel.wrap(ToyModels.llamaLike(manager, 8, 2, 11))) {
                PeftConfigException e = assertThrows(PeftConfigException.class, () -> model.loadAdapter(dir, "a", false));
                assertEquals(PeftConfigException.class, e.getClass());
                assertTrue(e.getMessage().startsWith("adapter " + dir + ": Target modules "), e.getMessage());
                assertTrue(e.getMessage().contains("nonexistent"), e.getMessage());
                assertEquals(List.of(), List.copyOf(model.adapterNames()), "the failed load left no adapter");
            }
        }
    }

    @Test
    void unknownPeftTypeNamesTheAdapterDirectory() throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            Path dir = savedWith(manager, "\"TEST_DELTA\"", "\"LOKR\"");
            try (PeftModel model = PeftModel.wrap(ToyModels.llamaLike(manager, 8, 2, 11))) {
                PeftException e = assertThrows(PeftException.class, () -> model.loadAdapter(dir, "a", false));
                assertTrue(e instanceof PeftCompatibilityException || e instanceof PeftFormatException, e.toString());
                assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
                assertTrue(e.getMessage().contains("LOKR"), e.getMessage());
            }
        }
    }

    @Test
    void errorsThatAlreadyNameAFileInTheDirectoryPassUnchanged() {
        Path dir = tmp.resolve("x");
        PeftFormatException original = new PeftFormatException(dir.resolve("adapter_model.safetensors"), "k", "bad");
        assertEquals(original, AdapterLoadErrors.named(dir, original));
        PeftCompatibilityException named = (PeftCompatibilityException) AdapterLoadErrors.named(dir,
                new PeftCompatibilityException("no"));
        assertEquals("adapter " + dir + ": no", named.getMessage());
    }
}
