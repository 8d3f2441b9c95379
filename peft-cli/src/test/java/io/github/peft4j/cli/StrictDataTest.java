package io.github.peft4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.peft4j.cli.Cli.Captured;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Issue 24 item 5 on the command line: {@code --strict}, skip counts by reason, a directory as data. */
class StrictDataTest {

    private static final Path MODEL = Path.of("../assets/base-model");
    private static final Path EVAL = Path.of("../assets/data/support/eval.jsonl");

    @TempDir
    Path tmp;

    /** Line 1 is a chat; line 2 is cut off; line 3 is not UTF-8. */
    private Path badData() throws Exception {
        Path f = tmp.resolve("train.jsonl");
        byte[] good = ("{\"prompt\":\"Q?\",\"completion\":\" A.\"}\n{\"prompt\": \"cut\"\n")
                .getBytes(StandardCharsets.UTF_8);
        byte[] bad = {'{', '"', 't', 'e', 'x', 't', '"', ':', '"', (byte) 0xff, '"', '}', '\n'};
        byte[] all = new byte[good.length + bad.length];
        System.arraycopy(good, 0, all, 0, good.length);
        System.arraycopy(bad, 0, all, good.length, bad.length);
        Files.write(f, all);
        return f;
    }

    @Test
    void strictFailsTheRunAtTheFirstBadLineNamingFileAndLine() throws Exception {
        Path data = badData();
        Captured c = Cli.capture(() -> Peft4j.run("train", "--model", MODEL.toString(), "--data", data.toString(),
                "--eval", EVAL.toString(), "--general-eval", "none", "--strict", "--output", tmp.resolve("run").toString()));
        assertEquals(1, c.status(), c.err());
        assertTrue(c.err().startsWith("peft4j train: " + data + ": 'line 2': not valid JSON: Unexpected end-of-input"),
                c.err());
        assertTrue(c.err().lines().count() == 1, c.err());
    }

    @Test
    void withoutStrictBadLinesAreSkippedAndCountedByReason() throws Exception {
        Path data = badData();
        new CommandLine(new TrainCommand()).parseArgs("--strict");
        new CommandLine(new TrainCommand()).parseArgs("--data", data.toString());
        Captured c = Cli.capture(() -> SupportData.read(data).size());
        assertEquals(1, c.status());
        assertTrue(c.err().strip().endsWith(data + ": skipped 2 bad lines (1 invalid UTF-8, 1 invalid JSON), first at line 2: not valid JSON:"
                + " Unexpected end-of-input: expected close marker for Object (start marker at column 1) (column 17)"),
                c.err());
    }

    @Test
    void aDirectoryAsDataIsADirectoryNotMissing() throws Exception {
        Captured c = Cli.capture(() -> Peft4j.run("train", "--model", MODEL.toString(), "--data", tmp.toString(),
                "--general-eval", "none"));
        assertEquals(1, c.status());
        assertEquals("peft4j train: training data is a directory, not a file: " + tmp.toAbsolutePath().normalize(),
                c.err().strip());
        assertEquals(List.of(), List.of(tmp.toFile().list()));
    }
}
