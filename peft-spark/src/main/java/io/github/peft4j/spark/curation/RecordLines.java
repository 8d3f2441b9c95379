package io.github.peft4j.spark.curation;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.peft4j.core.PeftFormatException;
import io.github.peft4j.train.data.ChatMessage;
import io.github.peft4j.train.data.DataRecord;
import io.github.peft4j.train.data.JsonlReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * JSONL lines to {@link DataRecord}s with the pipeline's own reader (so a line is read exactly as
 * on one machine, bad lines skipped the same way), and records back to JSONL.
 */
final class RecordLines {

    private static final ObjectMapper JSON = new ObjectMapper();

    private RecordLines() {}

    /**
     * @param lines lines of one partition
     * @return one entry per line: its record, or null for a bad line
     */
    static List<DataRecord> parse(List<String> lines) {
        Path tmp = null;
        try {
            tmp = Files.createTempFile("peft4j-partition-", ".jsonl");
            Files.writeString(tmp, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
            JsonlReader.Result r = JsonlReader.builder().skipBadLines(true).build().read(tmp);
            List<DataRecord> out = new ArrayList<>(lines.size());
            java.util.Set<Long> bad = new java.util.HashSet<>();
            r.skipped().forEach(b -> bad.add(b.line()));
            int next = 0;
            for (int i = 0; i < lines.size(); i++) {
                out.add(bad.contains((long) i + 1) ? null : r.records().get(next++));
            }
            return out;
        } catch (IOException e) {
            throw new PeftFormatException(tmp, null, "cannot stage a partition's lines: " + e.getMessage(), e);
        } finally {
            if (tmp != null) {
                tmp.toFile().delete();
            }
        }
    }

    /** @param record a record @return it as one JSONL line, in the shape the reader accepts */
    static String toJson(DataRecord record) {
        ObjectNode node = JSON.createObjectNode();
        if (record instanceof DataRecord.Chat chat) {
            ArrayNode messages = node.putArray("messages");
            for (ChatMessage m : chat.messages()) {
                messages.addObject().put("role", m.role()).put("content", m.content());
            }
        } else if (record instanceof DataRecord.PromptCompletion pc) {
            node.put("prompt", pc.prompt()).put("completion", pc.completion());
        } else if (record instanceof DataRecord.LabeledText lt) {
            node.put("text", lt.text()).put("label", lt.label());
        } else if (record instanceof DataRecord.OneText t) {
            node.put("text", t.text());
        }
        try {
            return JSON.writeValueAsString(node);
        } catch (IOException e) {
            throw new IllegalStateException("a JSON tree always serialises", e);
        }
    }
}
