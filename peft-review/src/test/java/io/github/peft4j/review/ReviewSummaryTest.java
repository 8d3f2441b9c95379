package io.github.peft4j.review;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Win rates, acceptance and flag counts of small reviews, every number counted by hand. */
class ReviewSummaryTest {

    @TempDir
    Path tmp;

    @Test
    void countsWinsTiesAcceptanceAndFlagsPerSystem() throws Exception {
        ReviewSheet sheet = Sheets.twoSystems();
        // candidate is A in p1 and p3, B in p2 and p4
        Path file = Files.write(tmp.resolve("verdicts.jsonl"), List.of(
                Sheets.line("s2", "p1", "ann", "A", "{\"A\":true,\"B\":false}", "{\"A\":[],\"B\":[\"wrong_fact\"]}"), // win
                Sheets.line("s2", "p2", "ann", "B", "{\"A\":false,\"B\":true}", "{}"),                             // win
                Sheets.line("s2", "p3", "ann", "tie", "{\"A\":true,\"B\":true}", "{}"),                            // tie
                Sheets.line("s2", "p4", "ann", "A", "{\"A\":true,\"B\":false}", "{\"B\":[\"unsafe\",\"pii\"]}"),   // loss
                Sheets.line("s2", "p1", "bob", "A", "{\"A\":true}", "{}"),                                         // win
                "",
                Sheets.line("s2", "p2", "bob", null, "{\"B\":true}", "{}"),                                        // no preference
                Sheets.line("s2", "p3", "bob", "A", "{}", "{}")));                                                 // win
        ReviewSummary s = ReviewSummary.of(sheet, VerdictFile.read(file, sheet));

        assertEquals(7, s.verdicts());
        assertEquals(4, s.itemsJudged());
        assertEquals(List.of("ann", "bob"), s.reviewers());
        Comparison c = s.comparison("candidate", "base");
        assertEquals(new Comparison("candidate", "base", 4, 1, 1), c);
        assertEquals(4.5 / 6, c.winRate(), 1e-12);
        assertEquals(0.3648225607, c.interval().low(), 1e-9);
        assertEquals(0.9400102953, c.interval().high(), 1e-9);
        assertEquals(List.of(c), s.comparisons());

        assertEquals(new ReviewSummary.Acceptance(5, 6), s.acceptance().get("candidate"));
        assertEquals(new ReviewSummary.Acceptance(2, 4), s.acceptance().get("base"));
        assertEquals(Map.of(Flag.UNSAFE, 1, Flag.NON_COMPLIANT, 0, Flag.WRONG_FACT, 0, Flag.PII, 1), s.flags().get("candidate"));
        assertEquals(Map.of(Flag.UNSAFE, 0, Flag.NON_COMPLIANT, 0, Flag.WRONG_FACT, 1, Flag.PII, 0), s.flags().get("base"));

        JsonNode json = s.toJson();
        assertEquals("half", json.get("ties").asText());
        assertEquals(0.3648225607, json.at("/comparisons/0/ci_low").asDouble(), 1e-9);
        assertEquals(0.75, json.at("/comparisons/0/win_rate").asDouble(), 1e-12);
        assertEquals(6, json.at("/comparisons/0/judged").asInt());
        assertEquals(5.0 / 6, json.at("/acceptance/candidate/rate").asDouble(), 1e-12);
        assertEquals(1, json.at("/flags/candidate/pii").asInt());
        assertEquals(0, json.at("/flags/candidate/non_compliant").asInt());
        assertEquals("c".repeat(64), json.at("/systems/candidate/fingerprint").asText());
        assertTrue(json.at("/systems/base/fingerprint").isNull());

        String text = s.toText();
        assertTrue(text.contains("candidate vs base        0.750  [0.365, 0.940]  4 wins, 1 losses, 1 ties"), text);
        assertTrue(text.contains("  candidate    5/6   0.833"), text);
        assertTrue(text.contains("  base         2/4   0.500"), text);
    }

    @Test
    void anABReviewComparesEachPairOnTheVerdictsThatRankThem() throws Exception {
        ReviewSheet sheet = Sheets.threeSystems();   // A = baseline, B = candidate, C = base
        Path file = Files.write(tmp.resolve("ab.jsonl"), List.of(
                Sheets.line("s3", "p1", "r1", "B", "{}", "{}"),
                Sheets.line("s3", "p1", "r2", "B", "{}", "{}"),
                Sheets.line("s3", "p1", "r3", "C", "{}", "{}"),
                Sheets.line("s3", "p1", "r4", "A", "{}", "{}"),
                Sheets.line("s3", "p1", "r5", "tie", "{}", "{}")));
        ReviewSummary s = ReviewSummary.of(sheet, VerdictFile.read(file, sheet));
        // preferring the base says nothing about candidate vs baseline, and so on
        assertEquals(new Comparison("candidate", "base", 2, 1, 1), s.comparison("candidate", "base"));
        assertEquals(new Comparison("candidate", "baseline", 2, 1, 1), s.comparison("candidate", "baseline"));
        assertEquals(new Comparison("baseline", "base", 1, 1, 1), s.comparison("baseline", "base"));
        assertEquals(0.625, s.comparison("candidate", "baseline").winRate(), 1e-12);
        assertEquals(0.2194265201, s.comparison("candidate", "baseline").interval().low(), 1e-9);
        assertEquals(0.1253344719, s.comparison("baseline", "base").interval().low(), 1e-9);
        assertNull(s.acceptance().get("candidate").rate(), "no output was judged acceptable or not");
    }
}
