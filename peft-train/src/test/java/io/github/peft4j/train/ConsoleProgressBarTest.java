package io.github.peft4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ConsoleProgressBarTest {

    @Test
    void rendersStepLossRateThroughputAndEta() {
        String line = ConsoleProgressBar.render(new Progress(120, 480, 2.31044, 1.8e-4, 5400.4, Duration.ofSeconds(83),
                2.4011, false));
        assertEquals("[======>                 ]   120/480  loss 2.3104  lr 1.80e-04  5400 tok/s  eval 2.4011  ETA 01:23",
                line);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ConsoleProgressBar bar = new ConsoleProgressBar(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        bar.onProgress(new Progress(1, 2, 1, 1e-3, 10, Duration.ofHours(2), Double.NaN, false));
        bar.onProgress(new Progress(2, 2, 1, 1e-3, 10, Duration.ZERO, Double.NaN, true));
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(out.startsWith("\r[") && out.contains("ETA 2:00:00") && out.endsWith(System.lineSeparator()), out);
    }

    @Test
    void aLogGetsOnePlainLinePerUpdateAndTheFinalStateOnce() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ConsoleProgressBar log = new ConsoleProgressBar(new PrintStream(bytes, true, StandardCharsets.UTF_8), false);
        log.onProgress(new Progress(1, 3, 2.5, 1e-3, 100, Duration.ofSeconds(20), Double.NaN, false));
        log.onProgress(new Progress(2, 3, 2.25, 2e-3, 110, Duration.ofSeconds(10), 2.4, false));
        log.onProgress(new Progress(3, 3, 2.0, 5e-4, 120, Duration.ZERO, 2.4, false));
        log.onProgress(new Progress(3, 3, 2.0, 5e-4, 120, Duration.ZERO, 2.4, true));
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertFalse(out.contains("\r"), out);
        assertEquals(java.util.List.of(
                "step 1/3  loss 2.5000  lr 1.00e-03  100 tok/s  ETA 00:20",
                "step 2/3  loss 2.2500  lr 2.00e-03  110 tok/s  eval 2.4000  ETA 00:10",
                "step 3/3  loss 2.0000  lr 5.00e-04  120 tok/s  eval 2.4000  ETA 00:00"), out.lines().toList());
    }
}
