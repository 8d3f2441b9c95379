package io.github.peft4j.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGKILL a process in the middle of pushing, 20 times at random points: afterwards every visible
 * version is complete (its blobs verify and export), numbers have no gaps, and what the killed pushes
 * left behind is only unreferenced blobs and temporary files, which {@code gc} removes.
 */
class RegistryKillTest {

    private static final int KILLS = 20;

    @TempDir
    Path tmp;

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void killedPushesLeaveNoPartialVersion() throws Exception {
        Path root = tmp.resolve("registry");
        Random random = new Random(17);
        int seen = 0;
        for (int kill = 0; kill < KILLS; kill++) {
            Process child = ChildJvm.start(PushLoop.class, List.of(root.toString(), "-"), tmp.resolve("scratch-" + kill).toString(),
                    Integer.toString(kill + 1));
            BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            String first = out.readLine();
            assertEquals("ready", first, "the child failed to start");
            Thread.sleep(50 + random.nextInt(900));
            child.destroyForcibly(); // SIGKILL: no shutdown hooks, no finally blocks
            assertTrue(child.waitFor(30, TimeUnit.SECONDS));

            AdapterRegistry registry = AdapterRegistry.open(root);
            VerifyReport report = registry.verify();
            assertTrue(report.ok(), "after kill " + kill + ": " + report.problems());
            List<AdapterVersion> versions = registry.list();
            for (int i = 0; i < versions.size(); i++) {
                assertEquals(i + 1, versions.get(i).number(), "version numbers have no gaps");
            }
            assertTrue(versions.size() >= seen, "no version disappeared");
            seen = versions.size();
            if (!versions.isEmpty()) {
                registry.export("support", tmp.resolve("export-" + kill));
            }
        }
        AdapterRegistry registry = AdapterRegistry.open(root);
        assertTrue(seen > 0, "some pushes completed between kills");
        registry.gc(java.time.Duration.ZERO);
        VerifyReport clean = registry.verify();
        assertTrue(clean.ok() && clean.unreferenced().isEmpty() && clean.staleTemporaries().isEmpty(), clean.toJson().toString());
        assertEquals(seen, clean.versions());
    }
}
