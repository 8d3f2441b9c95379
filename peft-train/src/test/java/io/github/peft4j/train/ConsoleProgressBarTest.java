package io.github.peft4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
}
