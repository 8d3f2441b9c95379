package io.github.peft4j.review;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Blinding is seeded and shuffled per prompt; the JSONL keeps the key; the page does not. */
class ReviewSheetTest {

    @TempDir
    Path tmp;

    static ReviewSheet sheet(long seed, int prompts) {
        List<ReviewSheet.Prompt> ps = new ArrayList<>();
        List<String> base = new ArrayList<>();
        List<String> cand = new ArrayList<>();
        List<String> other = new ArrayList<>();
        for (int i = 0; i < prompts; i++) {
            ps.add(new ReviewSheet.Prompt("question " + i, i % 2 == 0 ? "reference " + i : null));
            base.add("base says " + i);
            cand.add("candidate says " + i);
            other.add("baseline says " + i);
        }
        Map<ReviewedSystem, List<String>> outputs = new LinkedHashMap<>();
        outputs.put(Sheets.BASE, base);
        outputs.put(Sheets.CANDIDATE, cand);
        outputs.put(Sheets.BASELINE, other);
        return ReviewSheet.blind(ps, outputs, seed, null);
    }

    @Test
    void blindingIsSeededShuffledPerPromptAndKeepsEachOutputWithItsSystem() {
        ReviewSheet a = sheet(42, 12);
        assertEquals(a, sheet(42, 12), "the same seed gives the same sheet");
        assertEquals(a.id(), sheet(42, 12).id());
        ReviewSheet b = sheet(7, 12);
        assertNotEquals(a.id(), b.id());
        Set<String> orders = new HashSet<>();
        for (ReviewItem item : a.items()) {
            assertEquals(List.of("A", "B", "C"), List.copyOf(item.outputs().keySet()));
            orders.add(String.join(",", item.systemOf().values()));
            int n = Integer.parseInt(item.prompt().substring("question ".length()));
            item.systemOf().forEach((label, system) -> assertEquals(system + " says " + n, item.outputs().get(label)));
        }
        assertTrue(orders.size() >= 3, "12 prompts are not all in one order: " + orders);
        assertEquals(List.of(List.of("candidate", "base"), List.of("candidate", "baseline"), List.of("baseline", "base")),
                a.comparisons());
        assertThrows(IllegalArgumentException.class, () -> ReviewSheet.blind(List.of(new ReviewSheet.Prompt("q", null)),
                Map.of(Sheets.BASE, List.of()), 1, null));
    }

    @Test
    void jsonlRoundTripsAndThePageCarriesNoKey() throws Exception {
        ReviewSheet sheet = sheet(42, 3);
        sheet.writeTo(tmp);
        assertEquals(sheet, ReviewSheet.read(tmp.resolve(ReviewSheet.JSONL_FILE)));
        String page = Files.readString(tmp.resolve(ReviewSheet.HTML_FILE), StandardCharsets.UTF_8);
        assertTrue(page.contains("candidate says 1") && page.contains("reference 2") && page.contains(sheet.id()));
        for (String leak : List.of("\"candidate\"", "\"baseline\"", "\"base\"", "support:2", "c".repeat(64), "systems")) {
            assertFalse(page.contains(leak), "the page names " + leak);
        }
        assertFalse(page.contains("<link") || page.contains("src=") || page.contains("http"), "the page fetches nothing");
    }

    @Test
    void thePageCannotBeClosedEarlyByATextThatLooksLikeMarkup() throws Exception {
        Map<ReviewedSystem, List<String>> outputs = new LinkedHashMap<>();
        outputs.put(Sheets.BASE, List.of("</script><script>alert(1)</script>"));
        ReviewSheet sheet = ReviewSheet.blind(List.of(new ReviewSheet.Prompt("<b>hi</b>", null)), outputs, 1, null);
        String page = ReviewPage.render(sheet);
        assertEquals(2, page.split("</script>", -1).length - 1, "only the page's own two script blocks end");
        assertTrue(page.contains("\\u003c/script>\\u003cscript>alert(1)"));
    }

    @Test
    void aFileThatIsNotASheetIsATypedError() throws Exception {
        Path file = Files.write(tmp.resolve("review.jsonl"), List.of("{\"type\":\"sheet\",\"format\":\"other\"}"));
        ReviewFormatException e = assertThrows(ReviewFormatException.class, () -> ReviewSheet.read(file));
        assertEquals(1, e.line());
        sheet(1, 2).writeTo(tmp);
        List<String> lines = new ArrayList<>(Files.readAllLines(tmp.resolve(ReviewSheet.JSONL_FILE)));
        lines.set(2, "{\"type\":\"item\",\"item\":\"p2\"}");
        Files.write(tmp.resolve(ReviewSheet.JSONL_FILE), lines);
        ReviewFormatException item = assertThrows(ReviewFormatException.class, () -> ReviewSheet.read(tmp.resolve(ReviewSheet.JSONL_FILE)));
        assertEquals(3, item.line());
        assertTrue(item.getMessage().contains("is not a review item"), item.getMessage());
    }
}
