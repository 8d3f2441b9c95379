package io.github.peft4j.review;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A bad verdict file is a typed error naming the file and the line, row by row. */
class VerdictFileTest {

    private static final String GOOD = Sheets.line("s2", "p1", "ann", "A", "{\"A\":true}", "{\"B\":[\"pii\"]}");

    @TempDir
    Path tmp;

    record Row(String badLine, String expected) {}

    @Test
    void namesTheFileAndLineOfEachProblem() throws Exception {
        List<Row> rows = List.of(
                new Row("{\"sheet\": \"s2\", \"item\": ", "is not JSON"),
                new Row("[1, 2]", "is not a JSON object"),
                new Row(Sheets.line("zz", "p1", "ann", "A", "{}", "{}"), "is a verdict on sheet zz, but the review sheet is s2"),
                new Row("{\"item\": \"p1\"}", "has no \"sheet\""),
                new Row(Sheets.line("s2", "p9", "ann", "A", "{}", "{}"), "judges item 'p9', which sheet s2 does not have"),
                new Row(Sheets.line("s2", "p2", "ann", "C", "{}", "{}"), "prefers 'C'; item p2 has outputs [A, B]"),
                new Row(Sheets.line("s2", "p2", "ann", "A", "{\"A\":\"yes\"}", "{}"), "acceptable.A is \"yes\"; expected true, false or null"),
                new Row(Sheets.line("s2", "p2", "ann", "A", "{\"D\":true}", "{}"), "acceptable names output 'D'; item p2 has [A, B]"),
                new Row(Sheets.line("s2", "p2", "ann", "A", "{}", "{\"A\":[\"rude\"]}"),
                        "flags.A holds 'rude'; the flags are unsafe, non_compliant, wrong_fact, pii"),
                new Row(Sheets.line("s2", "p2", "ann", "A", "{}", "{\"A\":\"pii\"}"), "flags.A is not a list of flag names"),
                new Row(Sheets.line("s2", "p1", "ann", "B", "{}", "{}"),
                        "item p1 is judged a second time by reviewer 'ann' (first at line 1)"));
        for (Row row : rows) {
            Path file = Files.write(tmp.resolve("v.jsonl"), List.of(GOOD, "", row.badLine()));
            ReviewFormatException e = assertThrows(ReviewFormatException.class, () -> VerdictFile.read(file, Sheets.twoSystems()),
                    row.badLine());
            assertEquals(3, e.line(), row.badLine());
            assertTrue(e.getMessage().startsWith(file + ": 'line 3': "), e.getMessage());
            assertTrue(e.getMessage().contains(row.expected()), e.getMessage());
        }
        Path empty = Files.write(tmp.resolve("empty.jsonl"), List.of("", " "));
        ReviewFormatException none = assertThrows(ReviewFormatException.class, () -> VerdictFile.read(empty, Sheets.twoSystems()));
        assertEquals(0, none.line());
        assertTrue(none.getMessage().endsWith("holds no verdicts"), none.getMessage());
    }

    @Test
    void readsWhatVerdictWrites() throws Exception {
        Path file = Files.write(tmp.resolve("v.jsonl"), List.of(GOOD));
        Verdict v = VerdictFile.read(file, Sheets.twoSystems()).get(0);
        assertEquals("A", v.preferred());
        assertEquals(Set.of(Flag.PII), v.flagsOf("B"));
        assertEquals(Set.of(), v.flagsOf("A"));
        assertEquals(1, v.line());
        Path again = Files.write(tmp.resolve("again.jsonl"), new ArrayList<>(List.of(v.toJsonLine())));
        Verdict w = VerdictFile.read(again, Sheets.twoSystems()).get(0);
        assertEquals(v, w);
    }
}
