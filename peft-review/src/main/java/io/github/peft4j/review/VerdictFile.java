package io.github.peft4j.review;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads a verdict JSONL file (what the review page saves; several reviewers' files may be
 * concatenated) and checks every line against the sheet it judges: the sheet id, the item, the
 * labels, the flag names, and that no reviewer judged an item twice. Every problem is a
 * {@link ReviewFormatException} naming the file and line.
 *
 * <pre>{@code
 * ReviewSheet sheet = ReviewSheet.read(Path.of("runs/review/review.jsonl"));
 * List<Verdict> verdicts = VerdictFile.read(Path.of("verdicts.jsonl"), sheet);
 * }</pre>
 */
public final class VerdictFile {

    private VerdictFile() {}

    /**
     * @param file the verdict file
     * @param sheet the sheet the verdicts judge
     * @return the verdicts, in file order
     * @throws ReviewFormatException naming the file and line of the first problem
     */
    public static List<Verdict> read(Path file, ReviewSheet sheet) {
        return readAll(List.of(file), sheet);
    }

    /**
     * Reads several reviewers' files as one: a reviewer may still judge an item only once.
     *
     * @param files verdict files
     * @param sheet the sheet they judge
     * @return the verdicts, file by file, in file order
     * @throws ReviewFormatException naming the file and line of the first problem
     */
    public static List<Verdict> readAll(List<Path> files, ReviewSheet sheet) {
        List<Verdict> out = new ArrayList<>();
        Map<String, String> seen = new HashMap<>();
        for (Path file : files) {
            List<String> lines;
            try {
                lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new ReviewFormatException(file, 0, "cannot read the verdicts: " + e, e);
            }
            int before = out.size();
            for (int i = 0; i < lines.size(); i++) {
                if (lines.get(i).isBlank()) {
                    continue;
                }
                long line = i + 1;
                Verdict v = parse(file, line, ReviewJson.object(file, line, lines.get(i)), sheet);
                String where = files.size() == 1 ? "line " + line : "line " + line + " of " + file;
                String first = seen.putIfAbsent(v.reviewer() + "\u0000" + v.item(), where);
                if (first != null) {
                    throw new ReviewFormatException(file, line, "item " + v.item() + " is judged a second time by reviewer '"
                            + v.reviewer() + "' (first at " + first + "); keep one verdict per reviewer and item");
                }
                out.add(v);
            }
            if (out.size() == before) {
                throw new ReviewFormatException(file, 0, "holds no verdicts");
            }
        }
        return out;
    }

    private static Verdict parse(Path file, long line, JsonNode o, ReviewSheet sheet) {
        String sheetId = text(file, line, o, "sheet", true);
        if (!sheet.id().equals(sheetId)) {
            throw new ReviewFormatException(file, line, "is a verdict on sheet " + sheetId + ", but the review sheet is "
                    + sheet.id() + "; pass the review.jsonl the page was made with");
        }
        String itemId = text(file, line, o, "item", true);
        ReviewItem item = sheet.item(itemId);
        if (item == null) {
            throw new ReviewFormatException(file, line, "judges item '" + itemId + "', which sheet " + sheet.id() + " does not have");
        }
        String preferred = text(file, line, o, "preferred", false);
        if (preferred != null && !preferred.equals(Verdict.TIE) && !item.outputs().containsKey(preferred)) {
            throw new ReviewFormatException(file, line, "prefers '" + preferred + "'; item " + itemId + " has outputs "
                    + item.outputs().keySet() + " (or \"tie\", or null for none)");
        }
        Map<String, Boolean> acceptable = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : entries(file, line, o, "acceptable", item)) {
            if (!e.getValue().isBoolean() && !e.getValue().isNull()) {
                throw new ReviewFormatException(file, line, "acceptable." + e.getKey() + " is " + e.getValue()
                        + "; expected true, false or null");
            }
            if (e.getValue().isBoolean()) {
                acceptable.put(e.getKey(), e.getValue().asBoolean());
            }
        }
        Map<String, Set<Flag>> flags = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : entries(file, line, o, "flags", item)) {
            Set<Flag> set = EnumSet.noneOf(Flag.class);
            if (!e.getValue().isArray()) {
                throw new ReviewFormatException(file, line, "flags." + e.getKey() + " is not a list of flag names");
            }
            for (JsonNode f : e.getValue()) {
                Flag flag = Flag.fromKey(f.asText());
                if (flag == null) {
                    throw new ReviewFormatException(file, line, "flags." + e.getKey() + " holds '" + f.asText()
                            + "'; the flags are unsafe, non_compliant, wrong_fact, pii");
                }
                set.add(flag);
            }
            flags.put(e.getKey(), set);
        }
        return new Verdict(sheetId, itemId, text(file, line, o, "reviewer", false), preferred, acceptable, flags,
                text(file, line, o, "comment", false), line);
    }

    private static String text(Path file, long line, JsonNode o, String key, boolean required) {
        JsonNode n = o.get(key);
        if (n == null || n.isNull()) {
            if (required) {
                throw new ReviewFormatException(file, line, "has no \"" + key + "\"");
            }
            return null;
        }
        if (!n.isTextual()) {
            throw new ReviewFormatException(file, line, "\"" + key + "\" is " + n + "; expected a string");
        }
        return n.asText();
    }

    private static List<Map.Entry<String, JsonNode>> entries(Path file, long line, JsonNode o, String key, ReviewItem item) {
        JsonNode n = o.get(key);
        List<Map.Entry<String, JsonNode>> out = new ArrayList<>();
        if (n == null || n.isNull()) {
            return out;
        }
        if (!n.isObject()) {
            throw new ReviewFormatException(file, line, "\"" + key + "\" is not an object keyed by output label");
        }
        n.fields().forEachRemaining(e -> {
            if (!item.outputs().containsKey(e.getKey())) {
                throw new ReviewFormatException(file, line, key + " names output '" + e.getKey() + "'; item " + item.id()
                        + " has " + item.outputs().keySet());
            }
            out.add(e);
        });
        return out;
    }
}
