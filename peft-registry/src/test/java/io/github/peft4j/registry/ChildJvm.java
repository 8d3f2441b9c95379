package io.github.peft4j.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Starts a test class's main in another JVM with this JVM's class path (another process on the same registry). */
final class ChildJvm {

    private ChildJvm() {}

    static Process start(Class<?> main, List<String> location, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:TieredStopAtLevel=1", "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"),
                main.getName()));
        cmd.addAll(location);
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("DJL_OFFLINE", "true");
        pb.environment().put("OPT_OUT_TRACKING", "true");
        return pb.start();
    }

    static void awaitSuccess(Process p, Duration limit) throws Exception {
        boolean done = p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS);
        if (!done) {
            p.destroyForcibly();
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(done, "child did not finish within " + limit + ":\n" + out);
        assertEquals(0, p.exitValue(), "child failed:\n" + out);
    }

    /** Opens the registry a parent described by {@code location}: a directory, or a URL and a blob directory. */
    static AdapterRegistry open(String location, String blobs) {
        return AdapterRegistry.open(location, blobs.equals("-") ? null : Path.of(blobs));
    }
}
