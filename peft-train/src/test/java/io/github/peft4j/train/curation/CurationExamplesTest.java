package io.github.peft4j.train.curation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.peft4j.train.data.DataRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** curation.md shows a few redacted examples of each removal and anonymisation, for review. */
class CurationExamplesTest {

    @Test
    void everyKindHasRedactedExamplesAtMostThree() {
        List<DataRecord> records = new ArrayList<>();
        records.add(new DataRecord.Text("Mail me at ann@example.com about order 1"));
        for (int i = 0; i < 5; i++) {
            // removed duplicates still carry the address: the examples must not
            records.add(new DataRecord.Text("mail me at ann@example.com about order 1"));
        }
        records.add(new DataRecord.Text("Call +41 44 668 18 00 please, my parcel never arrived at all today"));
        records.add(new DataRecord.Text("Nothing personal here"));
        CurationReport rep = Curator.builder().exactDedup(true).anonymizer(PiiAnonymizer.defaults()).build()
                .curate(records).report();

        assertEquals(List.of("exact duplicate removed", "EMAIL replaced", "PHONE replaced"),
                List.copyOf(rep.examples().keySet()));
        assertEquals(3, rep.examples().get("exact duplicate removed").size());
        assertEquals(List.of("\"mail me at <EMAIL> about order 1\""), rep.examples().get("exact duplicate removed")
                .subList(0, 1));
        assertEquals(List.of("\"Mail me at <EMAIL> about order 1\""), rep.examples().get("EMAIL replaced"));
        assertEquals(List.of("\"Call <PHONE> please, my parcel never arrived at all today\""),
                rep.examples().get("PHONE replaced"));
        String md = rep.toMarkdown();
        assertTrue(md.contains("## Examples (personal data redacted)\n\n### exact duplicate removed\n\n"
                + "- \"mail me at <EMAIL> about order 1\"\n"), md);
        assertFalse(md.contains("ann@example.com"), md);
        assertEquals(Map.of("EMAIL", 1, "PHONE", 1), rep.piiReplacements());
    }

    @Test
    void nearDuplicatesNameTheRecordTheyResembled() {
        String a = "Where is my order? It was shipped last week and the tracking page has not changed since Monday.";
        String b = "Where is my order? It was shipped last week and the tracking page has not changed since Tuesday.";
        CurationReport rep = Curator.builder().nearDedup(MinHashLsh.builder().build()).build()
                .curate(List.of(new DataRecord.Text(a), new DataRecord.Text(b))).report();
        assertEquals(1, rep.nearDuplicates());
        String example = rep.examples().get("near duplicate removed").get(0);
        assertTrue(example.startsWith("\"" + b + "\" (Jaccard 0.") && example.endsWith(" with \"" + a + "\")"), example);
    }
}
