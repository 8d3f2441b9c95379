package io.github.peft4j.spark.curation;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.peft4j.spark.SparkTestSupport;
import io.github.peft4j.train.curation.CurationReport;
import io.github.peft4j.train.curation.Curator;
import io.github.peft4j.train.data.DataRecord;
import io.github.peft4j.train.data.JsonlReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SparkCuratorTest {

    private static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = SparkTestSupport.localSpark();
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    private static List<String> lines() {
        List<String> out = new ArrayList<>();
        String[] topics = {"billing", "refunds", "passwords", "shipping", "invoices", "returns", "accounts", "orders"};
        for (int i = 0; i < 40; i++) {
            String topic = topics[i % topics.length];
            out.add("{\"text\":\"How do I change my " + topic + " settings for store number " + i
                    + " when the page will not load at all today\"}");
        }
        out.add(out.get(3));                                   // exact duplicate
        out.add(out.get(5).replace("How do", "how  DO"));      // exact after normalisation
        out.add(out.get(7).replace("at all today", "at all today please")); // near duplicate
        out.add("{\"prompt\":\"Mail me at jane.doe@example.com\",\"completion\":\"Call +1 415 555 0100\"}");
        out.add("{\"messages\":[{\"role\":\"user\",\"content\":\"my IP is 10.0.0.7\"},"
                + "{\"role\":\"assistant\",\"content\":\"noted\"}]}");
        out.add("{\"text\":\"card 4111 1111 1111 1111\",\"label\":\"pii\"}");
        out.add("not json");
        out.add("{\"unknown\":1}");
        return out;
    }

    @Test
    void theReportIsTheOneOfSingleMachineCuration(@TempDir Path dir) throws IOException {
        List<String> lines = lines();
        Path file = dir.resolve("data.jsonl");
        Files.write(file, lines);
        JsonlReader.Result read = JsonlReader.builder().skipBadLines(true).build().read(file);
        Curator.Result local = Curator.defaults().curate(read.records(), read.skipped().size());

        SparkCurator.Result distributed = SparkCurator.builder().hashTables(8).build()
                .curate(spark.createDataset(lines, Encoders.STRING()));

        CurationReport expected = local.report();
        CurationReport got = distributed.report();
        assertEquals(expected.recordsIn(), got.recordsIn());
        assertEquals(expected.skippedBadLines(), got.skippedBadLines());
        assertEquals(expected.exactDuplicates(), got.exactDuplicates());
        assertEquals(expected.nearDuplicates(), got.nearDuplicates());
        assertEquals(expected.recordsWithPii(), got.recordsWithPii());
        assertEquals(expected.piiReplacements(), got.piiReplacements());
        assertEquals(expected.recordsOut(), got.recordsOut());
        assertEquals(2, got.skippedBadLines());
        assertEquals(2, got.exactDuplicates());
        assertEquals(1, got.nearDuplicates());

        Path curated = dir.resolve("curated.jsonl");
        Files.write(curated, distributed.records().collectAsList());
        List<List<String>> texts = JsonlReader.builder().build().read(curated).records().stream()
                .map(DataRecord::texts).toList();
        assertEquals(local.records().stream().map(DataRecord::texts).toList(), texts);
    }
}
