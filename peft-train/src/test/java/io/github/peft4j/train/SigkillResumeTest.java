package io.github.peft4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.peft4j.core.safetensors.SafetensorsFile;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 24's SIGKILL-and-resume: a child JVM trains the tiny model with a checkpoint every 3
 * steps and is killed ({@code SIGKILL}) at random moments; each time it is restarted and resumes
 * from its newest checkpoint. The final adapter is byte-identical to an uninterrupted run's and no
 * temporary file is left visible. 3 kills in {@code mvn verify}; 20 with {@code -Pfuzz}.
 */
class SigkillResumeTest {

    private static final String STEPS = "40";
    private static final String SAVE_STEPS = "3";
    private static final String ADAPTER = "adapter_model.safetensors";

    @TempDir
    Path tmp;

    private static Process child(Path out) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                "-Dai.djl.offline=true", "-Dai.djl.pytorch.num_threads=1", KilledTrainingMain.class.getName(),
                out.toString(), STEPS, SAVE_STEPS).redirectErrorStream(true);
        pb.environment().put("DJL_OFFLINE", "true");
        pb.environment().put("OPT_OUT_TRACKING", "true");
        return pb.start();
    }

    /** Runs the child to its end; returns its output. */
    private static String runToEnd(Path out) throws Exception {
        Process p = child(out);
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child did not finish");
        assertEquals(0, p.exitValue(), output);
        return output;
    }

    /** Starts the child, waits until it trains, then kills it after a random delay; true if it was still running. */
    private static boolean runAndKill(Path out, long delayMillis) throws Exception {
        Process p = child(out);
        BufferedReader lines = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        for (String line; (line = lines.readLine()) != null && !line.equals("training"); ) {
            // the engine's start-up lines
        }
        Thread.sleep(delayMillis);
        boolean alive = p.isAlive();
        p.destroyForcibly();
        p.waitFor(30, TimeUnit.SECONDS);
        return alive;
    }

    @Test
    void killedAndResumedTrainingEndsInTheUninterruptedAdapter() throws Exception {
        Path straight = tmp.resolve("straight");
        long start = System.nanoTime();
        runToEnd(straight);
        long trainMillis = (System.nanoTime() - start) / 1_000_000;
        byte[] expected = Files.readAllBytes(straight.resolve(ADAPTER));

        Path killed = tmp.resolve("killed");
        Random random = new Random(Long.getLong("peft4j.sigkill.seed", 24));
        int kills = Boolean.getBoolean("peft4j.fuzz") ? 20 : 3;
        int landed = 0;
        for (int i = 0; i < kills; i++) {
            // the engine start is most of a run; kill somewhere in the training that follows it
            if (runAndKill(killed, 200 + (long) (random.nextDouble() * trainMillis / 3))) {
                landed++;
            }
        }
        runToEnd(killed);
        assertArrayEquals(expected, Files.readAllBytes(killed.resolve(ADAPTER)), "resumed adapter differs");
        // no partial file under a real name: every tensors file in the run and its checkpoints is whole
        List<Path> tensors;
        try (Stream<Path> files = Files.walk(killed)) {
            tensors = files.filter(f -> f.getFileName().toString().endsWith(".safetensors")).toList();
        }
        for (Path f : tensors) {
            SafetensorsFile.open(f).close();
        }
        assertTrue(tensors.size() > 1, tensors.toString());
        System.out.printf("sigkill: %d kills, %d while training; uninterrupted run %d ms%n", kills, landed, trainMillis);
        assertTrue(landed > 0, "no kill landed during training");
    }
}
