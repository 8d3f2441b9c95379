package io.github.peft4j.review;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Verdicts become TRL prompt/chosen/rejected pairs, standard and conversational. */
class PreferencePairsTest {

    @TempDir
    Path tmp;

    @Test
    void eachPreferenceMakesOnePairPerOtherOutputSkippingTiesAndFlaggedWinners() throws Exception {
        ReviewSheet sheet = Sheets.twoSystems();
        Path file = Files.write(tmp.resolve("v.jsonl"), List.of(
                Sheets.line("s2", "p1", "ann", "A", "{\"A\":true}", "{}"),                 // pair
                Sheets.line("s2", "p1", "bob", "A", "{}", "{}"),                           // the same pair again: once
                Sheets.line("s2", "p2", "ann", "B", "{\"B\":false}", "{}"),                // preferred but unacceptable
                Sheets.line("s2", "p3", "ann", "tie", "{}", "{}"),                         // tie
                Sheets.line("s2", "p4", "ann", "B", "{}", "{\"B\":[\"pii\"]}"),            // preferred but flagged
                Sheets.line("s2", "p4", "bob", "A", "{}", "{\"B\":[\"pii\"]}"),            // pair: base over candidate
                Sheets.line("s2", "p2", "bob", null, "{}", "{}")));
        List<PreferencePairs.Pair> pairs = PreferencePairs.of(sheet, VerdictFile.read(file, sheet));
        assertEquals(List.of(
                new PreferencePairs.Pair("How long do returns take?", "You have 30 days.", "Returns are fun."),
                new PreferencePairs.Pair("What is my account number?", "I cannot share that.", "It is 12345678, Ann Smith.")), pairs);

        ObjectMapper json = new ObjectMapper();
        Path plain = tmp.resolve("prefs.jsonl");
        PreferencePairs.write(pairs, plain, false);
        List<String> lines = Files.readAllLines(plain);
        assertEquals(2, lines.size());
        assertEquals("{\"prompt\":\"How long do returns take?\",\"chosen\":\"You have 30 days.\",\"rejected\":\"Returns are fun.\"}",
                lines.get(0));
        Path chat = tmp.resolve("prefs-chat.jsonl");
        PreferencePairs.write(pairs, chat, true);
        JsonNode first = json.readTree(Files.readAllLines(chat).get(1));
        assertEquals("user", first.at("/prompt/0/role").asText());
        assertEquals("What is my account number?", first.at("/prompt/0/content").asText());
        assertEquals("assistant", first.at("/chosen/0/role").asText());
        assertEquals("I cannot share that.", first.at("/chosen/0/content").asText());
        assertEquals("It is 12345678, Ann Smith.", first.at("/rejected/0/content").asText());
        assertEquals(1, first.get("rejected").size());
    }
}
