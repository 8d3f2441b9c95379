package io.github.peft4j.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.peft4j.core.fingerprint.Sha256;
import io.github.peft4j.core.io.AdapterDirectory;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGKILL a push at each of its {@link PushStages} in turn (a child JVM stops there and is killed),
 * on SQLite and, when {@code PEFT4J_TEST_POSTGRES_URL} is set, on PostgreSQL. After every kill the
 * registry verifies; the version is absent when the kill came before the commit and complete (its
 * export byte-identical to what was pushed) after it; the only leftovers are the killed push's own
 * blob and temporary file, unreferenced, which {@code gc} removes; pushing the same adapter again
 * then creates the next version with no gap in the numbers.
 */
class PushKillPointsTest {

    static final String PAUSED = "paused at ";
    static final int WEIGHTS_BYTES = 3 << 20; // three buffers, so that a blob can be killed half written

    @TempDir
    Path tmp;

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void sqlite() throws Exception {
        Path root = tmp.resolve("registry");
        killAtEveryStage(List.of(root.toString(), "-"), () -> AdapterRegistry.open(root));
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void postgres() throws Exception {
        Assumptions.assumeTrue(TestPostgres.baseUrl() != null, TestPostgres.URL_KEY + " is not set");
        try (TestPostgres.Schema schema = TestPostgres.Schema.create("peft4j_kill_")) {
            Path blobs = tmp.resolve("blobs");
            killAtEveryStage(List.of(schema.url(), blobs.toString()), () -> AdapterRegistry.open(schema.url(), blobs));
        }
    }

    private void killAtEveryStage(List<String> location, Supplier<AdapterRegistry> open) throws Exception {
        open.get().push("support", TestAdapters.write(tmp.resolve("first"), 4, 1, 4096), Lineage.none());
        int versions = 1;
        List<String> report = new ArrayList<>();
        for (int i = 0; i < PushStages.ALL.length; i++) {
            String stage = PushStages.ALL[i];
            Path in = tmp.resolve("in-" + stage);
            killAt(location, in, 100 + i, stage);
            String weightsSha = Sha256.ofFile(in.resolve(AdapterDirectory.WEIGHTS_FILE));

            AdapterRegistry r = open.get();
            VerifyReport after = r.verify();
            assertTrue(after.ok(), "killed at " + stage + ": " + after.problems());
            boolean committed = stage.equals(PushStages.COMMITTED);
            List<AdapterVersion> list = r.list();
            assertEquals(versions + (committed ? 1 : 0), list.size(), "killed at " + stage);
            AdapterVersion pushed = list.stream().filter(v -> v.weightsSha256().equals(weightsSha)).findFirst().orElse(null);
            if (committed) {
                assertNotNull(pushed, "killed after the commit: the version is there");
                r.export(pushed.ref(), tmp.resolve("export-" + stage));
                assertArrayEquals(Files.readAllBytes(in.resolve(AdapterDirectory.WEIGHTS_FILE)),
                        Files.readAllBytes(tmp.resolve("export-" + stage).resolve(AdapterDirectory.WEIGHTS_FILE)));
                versions++;
            } else {
                assertEquals(null, pushed, "killed at " + stage + ", before the commit: no version");
            }
            assertTrue(weightsSha.equals(String.join("", after.unreferenced())) || after.unreferenced().isEmpty(),
                    "killed at " + stage + ": only the killed push's weights may be unreferenced: " + after.unreferenced());
            boolean weightsStored = i >= List.of(PushStages.ALL).indexOf(PushStages.WEIGHTS_BLOB);
            assertEquals(weightsStored && !committed, after.unreferenced().contains(weightsSha), "killed at " + stage);
            assertEquals(stage.equals(PushStages.BLOB_PARTIAL), !after.staleTemporaries().isEmpty(),
                    "killed at " + stage + ": temporary files " + after.staleTemporaries());
            List<String> removed = r.gc(Duration.ZERO);
            VerifyReport clean = r.verify();
            assertTrue(clean.ok() && clean.unreferenced().isEmpty() && clean.staleTemporaries().isEmpty(),
                    "gc after a kill at " + stage + ": " + clean.toJson());
            report.add(stage + ": versions " + list.size() + ", gc removed " + removed.size());
        }
        AdapterRegistry r = open.get();
        AdapterRegistry.PushResult again = r.push("support", tmp.resolve("in-" + PushStages.INSERTED), Lineage.none());
        assertTrue(again.created());
        assertEquals(versions + 1, again.version().number(), "the next number follows the last committed one");
        assertTrue(r.verify().ok());
        System.out.println("push kill points: " + report);
    }

    private static void killAt(List<String> location, Path in, long seed, String stage) throws Exception {
        Process child = ChildJvm.start(PausedPush.class, location, in.toString(), Long.toString(seed), stage);
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            StringBuilder seen = new StringBuilder();
            for (String line = out.readLine(); ; line = out.readLine()) {
                assertNotNull(line, "the child ended before reaching " + stage + ":\n" + seen);
                if (line.equals(PAUSED + stage)) {
                    break;
                }
                seen.append(line).append('\n');
                assertFalse(line.startsWith("finished"), "the child never reached " + stage + ":\n" + seen);
            }
        } finally {
            child.destroyForcibly(); // SIGKILL: no shutdown hooks, no finally blocks, no rollback
            assertTrue(child.waitFor(30, TimeUnit.SECONDS));
        }
    }
}
