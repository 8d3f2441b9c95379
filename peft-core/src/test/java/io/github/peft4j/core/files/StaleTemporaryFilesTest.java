package io.github.peft4j.core.files;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 24, item 6: a kill during the final write left a temporary file that nothing removed. */
class StaleTemporaryFilesTest {

    @TempDir
    Path dir;

    @Test
    void theNextWriteToTheDirectoryRemovesStaleTemporariesOfOurNamingOnly() throws IOException {
        Path stale = Files.write(dir.resolve(".adapter_model.safetensors.3f2a" + AtomicFiles.TEMP_SUFFIX), new byte[] {1, 2});
        Files.setLastModifiedTime(stale, FileTime.from(Instant.now().minus(AtomicFiles.STALE_AFTER).minusSeconds(60)));
        Path fresh = Files.write(dir.resolve(".adapter_config.json.77" + AtomicFiles.TEMP_SUFFIX), new byte[] {3});
        Path foreign = Files.write(dir.resolve("notes.tmp"), new byte[] {4});
        Files.setLastModifiedTime(foreign, FileTime.from(Instant.now().minusSeconds(86_400)));

        AtomicFiles.write(dir.resolve("adapter_config.json"), new byte[] {'{', '}'});

        assertFalse(Files.exists(stale), "stale temporary removed");
        assertTrue(Files.exists(fresh), "a temporary another writer may still own is kept");
        assertTrue(Files.exists(foreign), "files of other naming are never touched");
        assertArrayEquals(new byte[] {'{', '}'}, Files.readAllBytes(dir.resolve("adapter_config.json")));
    }
}
