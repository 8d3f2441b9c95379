package io.github.peft4j.train.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.peft4j.core.PeftFormatException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 24 item 5: every JSONL error names the file and the real line; skips are counted by reason. */
class JsonlReaderMessagesTest {

    private static final byte[] INVALID_UTF8_LINE =
            {'{', '"', 't', 'e', 'x', 't', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};

    @TempDir
    Path tmp;

    /** Lines 1, 2, 4 and 6 are good; 3 is not UTF-8; 5 is a cut-off object. */
    private Path mixed() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes("{\"text\":\"one\"}\n{\"text\":\"two\"}\n".getBytes(StandardCharsets.UTF_8));
        out.writeBytes(INVALID_UTF8_LINE);
        out.writeBytes("\n{\"text\":\"four\"}\n{\"text\": \"five\"\n{\"prompt\":\"six\",\"completion\":\"!\"}\n"
                .getBytes(StandardCharsets.UTF_8));
        Path f = tmp.resolve("mixed.jsonl");
        Files.write(f, out.toByteArray());
        return f;
    }

    @Test
    void invalidUtf8LineIsSkippedWithItsNumberLikeOtherBadLines() throws IOException {
        JsonlReader.Result r = JsonlReader.builder().skipBadLines(true).build().read(mixed());
        assertEquals(List.of("mixed.jsonl:1", "mixed.jsonl:2", "mixed.jsonl:4", "mixed.jsonl:6"),
                r.records().stream().map(DataRecord::origin).toList());
        assertEquals(List.of(3L, 5L), r.skipped().stream().map(JsonlReader.BadLine::line).toList());
        assertEquals(BadLineReason.INVALID_UTF8, r.skipped().get(0).reason());
        assertTrue(r.skipped().get(0).problem().contains("0xc3"), r.skipped().get(0).problem());
    }

    @Test
    void strictReaderFailsAtTheInvalidUtf8LineNamingFileAndLine() throws IOException {
        Path f = mixed();
        PeftFormatException e = assertThrows(PeftFormatException.class,
                () -> JsonlReader.builder().strict(true).build().read(f));
        assertEquals(f, e.file());
        assertEquals("line 3", e.key());
        assertTrue(e.getMessage().startsWith(f + ": 'line 3': not valid UTF-8"), e.getMessage());
    }

    @Test
    void jsonProblemCarriesTheRealLineNotJacksonsLineOne() throws IOException {
        Path f = tmp.resolve("cut.jsonl");
        Files.writeString(f, "{\"text\":\"a\"}\n{\"text\":\"b\"}\n\n{\"text\":\"c\"}\n{\"text\": \"five\"\n");
        PeftFormatException e = assertThrows(PeftFormatException.class, () -> JsonlReader.builder().build().read(f));
        assertEquals("line 5", e.key());
        assertFalse(e.getMessage().contains("line: 1"), e.getMessage());
        assertFalse(e.getMessage().contains("Source"), e.getMessage());
        assertTrue(e.getMessage().endsWith("expected close marker for Object (start marker at column 1) (column 16)"),
                e.getMessage());
    }

    @Test
    void skippedLinesAreCountedByReason() throws IOException {
        Path f = tmp.resolve("reasons.jsonl");
        Files.writeString(f, String.join("\n", "{\"text\":\"ok\"}", "nope", "[1]", "{\"other\":1}", "{\"prompt\":\"p\"}",
                "{\"text\":3}", "{\"text\":\"ok\",\"label\":1.5}", "{", "") + "\n");
        JsonlReader.Result r = JsonlReader.builder().skipBadLines(true).build().read(f);
        assertEquals(Map.of(BadLineReason.INVALID_JSON, 2, BadLineReason.NOT_AN_OBJECT, 1,
                BadLineReason.UNKNOWN_SHAPE, 1, BadLineReason.MISSING_KEY, 1, BadLineReason.WRONG_TYPE, 2),
                r.skippedByReason());
        assertTrue(r.skippedSummary().startsWith("7 bad lines (2 invalid JSON, 1 not a JSON object, 1 no known record"
                + " shape, 1 missing key, 2 wrong value type), first at line 2: not valid JSON: "), r.skippedSummary());
    }

    @Test
    void emptyFileErrorNamesTheFile() throws IOException {
        Path f = tmp.resolve("empty.jsonl");
        Files.writeString(f, "\n  \n");
        PeftFormatException e = assertThrows(PeftFormatException.class, () -> JsonlReader.builder().build().read(f));
        assertEquals(f, e.file());
        assertEquals(f + ": no records: the file is empty", e.getMessage());
    }

    @Test
    void fileOfOnlyBadLinesNamesTheFileAndTheCounts() throws IOException {
        Path f = tmp.resolve("bad.jsonl");
        Files.writeString(f, "x\ny\n");
        PeftFormatException e = assertThrows(PeftFormatException.class,
                () -> JsonlReader.builder().skipBadLines(true).build().read(f));
        assertTrue(e.getMessage().startsWith(f + ": no records: every line was skipped: 2 bad lines (2 invalid JSON)"),
                e.getMessage());
    }

    @Test
    void directoryIsReportedAsADirectory() {
        PeftFormatException e = assertThrows(PeftFormatException.class, () -> JsonlReader.builder().build().read(tmp));
        assertEquals(tmp + ": is a directory, not a JSONL file", e.getMessage());
    }

    @Test
    void crlfEndingsAndAByteOrderMarkAreNotPartOfTheText() throws IOException {
        Path f = tmp.resolve("crlf.jsonl");
        Files.write(f, "\uFEFF{\"text\":\"a\"}\r\n{\"text\":\"b\"}".getBytes(StandardCharsets.UTF_8));
        JsonlReader.Result r = JsonlReader.builder().build().read(f);
        assertEquals(List.of(new DataRecord.Text("a", "crlf.jsonl:1"), new DataRecord.Text("b", "crlf.jsonl:2")),
                r.records());
    }
}
