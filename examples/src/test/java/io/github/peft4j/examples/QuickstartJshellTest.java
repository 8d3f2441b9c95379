package io.github.peft4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Runs {@code examples/quickstart.jsh} in a real {@code jshell} on the test classpath. */
class QuickstartJshellTest {

    @Test
    void theNotebookRunsAndPrintsTheParameterLine() throws Exception {
        // surefire's fork may see only its booter jar in java.class.path; it publishes the full path here
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Path jshell = Path.of(System.getProperty("java.home"), "bin", "jshell");
        ProcessBuilder pb = new ProcessBuilder(jshell.toFile().exists() ? jshell.toString() : "jshell",
                "--class-path", classpath, "examples/quickstart.jsh")
                .directory(new File("..")) // the script runs from the repository root
                .redirectErrorStream(true);
        pb.environment().put("DJL_OFFLINE", "true");
        pb.environment().put("OPT_OUT_TRACKING", "true");
        Process p = pb.start();
        p.getOutputStream().close();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), output);
        assertEquals(0, p.exitValue(), output);
        // q_proj 256->256 and v_proj 256->128 at r=8 in 4 layers: 4 * (8*256 + 256*8 + 8*256 + 128*8)
        assertTrue(output.contains("trainable params: 28,672 || all params: "), output);
        assertTrue(output.contains("The capital of France is ->"), output);
        // jshell reports a failing snippet and carries on, so look for its error markers too
        assertFalse(output.contains("|  Error:") || output.contains("|  Exception") || output.contains("Exception in"),
                output);
    }
}
