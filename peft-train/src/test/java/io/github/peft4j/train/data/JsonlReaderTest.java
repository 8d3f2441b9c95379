package io.github.peft4j.train.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.peft4j.core.PeftFormatException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonlReaderTest {

    @TempDir
    Path tmp;

    private Path file(String... lines) throws IOException {
        Path f = tmp.resolve("data.jsonl");
        Files.writeString(f, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
        return f;
    }

    @Test
    void readsAllShapesWithOrigins() throws IOException {
        Path f = file(
                "\uFEFF{\"text\": \"plain text\", \"source\": \"ignored\"}",
                "",
                "{\"prompt\": \"Q?\", \"completion\": \" A.\"}",
                "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"hello\"}]}",
                "{\"text\": \"great\", \"label\": 1}",
                "{\"text\": \"awful\", \"label\": \"neg\"}");
        JsonlReader.Result r = JsonlReader.builder().build().read(f);
        List<DataRecord> rs = r.records();
        assertEquals(5, rs.size());
        assertEquals(new DataRecord.Text("plain text", "data.jsonl:1"), rs.get(0));
        assertEquals(new DataRecord.PromptCompletion("Q?", " A.", "data.jsonl:3"), rs.get(1));
        DataRecord.Chat chat = assertInstanceOf(DataRecord.Chat.class, rs.get(2));
        assertEquals(List.of(new ChatMessage("user", "hi"), new ChatMessage("assistant", "hello")), chat.messages());
        assertEquals(new DataRecord.LabeledText("great", "1", "data.jsonl:5"), rs.get(3));
        assertEquals(new DataRecord.LabeledText("awful", "neg", "data.jsonl:6"), rs.get(4));
        assertTrue(r.skipped().isEmpty());
    }

    @Test
    void badLineIsAnErrorNamingFileAndLine() throws IOException {
        Path f = file("{\"text\": \"ok\"}", "{\"text\": \"ok\"}", "{\"prompt\": \"only a prompt\"}", "{\"text\": 3}");
        PeftFormatException e = assertThrows(PeftFormatException.class, () -> JsonlReader.builder().build().read(f));
        assertEquals(f, e.file());
        assertEquals("line 3", e.key());
        assertTrue(e.getMessage().contains("missing \"completion\""), e.getMessage());
    }

    @Test
    void badLinesCanBeSkippedAndCounted() throws IOException {
        Path f = file("{\"text\": \"ok\"}", "not json", "[1, 2]", "{\"other\": 1}", "{\"messages\": []}",
                "{\"text\": 3}", "{\"text\": \"also ok\"}");
        JsonlReader.Result r = JsonlReader.builder().skipBadLines(true).build().read(f);
        assertEquals(2, r.records().size());
        assertEquals(List.of(2L, 3L, 4L, 5L, 6L), r.skipped().stream().map(JsonlReader.BadLine::line).toList());
        assertTrue(r.skipped().get(0).problem().startsWith("not valid JSON"));
        assertTrue(r.skipped().get(2).problem().contains("[other]"));
    }

    @Test
    void invalidUtf8IsAnError() throws IOException {
        Path f = tmp.resolve("bad.jsonl");
        Files.write(f, new byte[] {'{', '"', 't', 'e', 'x', 't', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}', '\n'});
        PeftFormatException e = assertThrows(PeftFormatException.class, () -> JsonlReader.builder().build().read(f));
        assertTrue(e.getMessage().contains("UTF-8"));
    }
}
