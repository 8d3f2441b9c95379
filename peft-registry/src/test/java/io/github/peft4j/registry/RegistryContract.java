package io.github.peft4j.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.core.PeftFormatException;
import io.github.peft4j.core.fingerprint.AdapterFingerprint;
import io.github.peft4j.core.fingerprint.BaseModelFingerprint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every registry verb, run against each database (SQLite always, PostgreSQL when configured). */
abstract class RegistryContract {

    static final String BASE = "sha256:" + "ab".repeat(32);
    static final PromotionPolicy POLICY = new PromotionPolicy("perplexity", 100.0, 0.5, 12.0);

    @TempDir
    Path tmp;

    /** @return a fresh, empty registry */
    abstract AdapterRegistry open() throws Exception;

    /** @return arguments that open the same registry in another process: location, blob dir */
    abstract List<String> location();

    AdapterRegistry.PushResult push(AdapterRegistry r, String name, int r0, long seed, JsonReport report) throws Exception {
        Path dir = TestAdapters.write(tmp.resolve("in-" + name + "-" + r0 + "-" + seed), r0, seed, 4096);
        Lineage.Builder b = Lineage.builder().baseFingerprint(BASE).createdBy("alice").notes("seed " + seed);
        if (report != null) {
            b.evalReport(TestAdapters.report(report.db, report.da, report.gb, report.ga));
        }
        return r.push(name, dir, b.build());
    }

    record JsonReport(double db, double da, double gb, double ga) {}

    @Test
    void pushNumbersVersionsStoresBlobsOnceAndIsIdempotent() throws Exception {
        AdapterRegistry r = open();
        AdapterRegistry.PushResult one = push(r, "support", 4, 1, null);
        assertTrue(one.created());
        assertEquals("support:1", one.version().ref());
        assertEquals(AdapterFingerprint.of(tmp.resolve("in-support-4-1")).value(), one.version().fingerprint());
        assertEquals(4096, one.version().weightsBytes());
        assertEquals("TEST_DELTA", one.version().peftType());

        // same content, different formatting: the same version, nothing new stored
        Path reformatted = TestAdapters.write(tmp.resolve("reformatted"), 4, 1, 4096);
        Files.writeString(reformatted.resolve("adapter_config.json"),
                "{\n  \"target_modules\": [\"q_proj\", \"v_proj\"],\n  \"r\": 4,\n  \"peft_type\": \"TEST_DELTA\"\n}\n");
        AdapterRegistry.PushResult again = r.push("support", reformatted, Lineage.none());
        assertFalse(again.created());
        assertEquals("support:1", again.version().ref());

        assertEquals("support:2", push(r, "support", 4, 2, null).version().ref());
        assertEquals("other:1", push(r, "other", 4, 1, null).version().ref());
        // one config blob shared by all three, two weight blobs
        assertEquals(3, new BlobStore(r.blobDir()).list().size());
        assertEquals(List.of("other:1", "support:1", "support:2"), r.list().stream().map(AdapterVersion::ref).toList());
        assertEquals(List.of("push", "push"), r.audit("support").stream().map(AuditEntry::action).toList());
    }

    @Test
    void resolvesTheThreeReferenceFormsAndNamesWhatIsUnknown() throws Exception {
        AdapterRegistry r = open();
        push(r, "support", 4, 1, null);
        push(r, "support", 4, 2, null);
        r.promote("support:1", "production", PromotionRequest.ungated("first"));
        assertEquals(2, r.resolve("support").number());
        assertEquals(1, r.resolve("support:1").number());
        assertEquals(1, r.resolve("support@production").number());
        assertEquals(Map.of("production", 1), r.aliases("support"));

        RegistryException name = assertThrows(RegistryException.class, () -> r.resolve("billing:1"));
        assertTrue(name.getMessage().contains("no adapter named 'billing'"), name.getMessage());
        RegistryException version = assertThrows(RegistryException.class, () -> r.resolve("support:9"));
        assertTrue(version.getMessage().contains("support has no version 9 (latest is support:2)"), version.getMessage());
        RegistryException alias = assertThrows(RegistryException.class, () -> r.resolve("support@canary"));
        assertTrue(alias.getMessage().contains("support has no alias 'canary' (aliases: [production])"), alias.getMessage());
        RegistryException syntax = assertThrows(RegistryException.class, () -> r.resolve("support:x"));
        assertTrue(syntax.getMessage().contains("'support:x' is not a version reference"), syntax.getMessage());
    }

    @Test
    void recordsLineage() throws Exception {
        AdapterRegistry r = open();
        push(r, "support", 4, 1, new JsonReport(1338.4, 10.1, 28.6, 319.3));
        r.promote("support:1", "production", PromotionRequest.ungated(null));
        Path dir = TestAdapters.write(tmp.resolve("child"), 4, 7, 100);
        AdapterVersion child = r.push("support", dir, Lineage.builder().parent("support@production").dataFingerprint("sha256:data")
                .trainingArgs(Json.parse("{\"lr\": 0.005, \"steps\": 200}")).notes("March refresh").createdBy("bob").build()).version();
        assertEquals("support:1", child.parent());
        assertEquals("bob", child.createdBy());
        assertEquals("March refresh", child.notes());
        assertEquals(0.005, r.resolve("support:2").lineage().path("training_args").path("lr").asDouble(), 0);
        assertEquals("sha256:data", r.resolve("support:2").lineage().path("data_fingerprint").asText());
        assertEquals(10.1, r.resolve("support:1").evalReport().path("domain").path("after").path("perplexity").asDouble(), 0);
        assertEquals(BASE, r.resolve("support:1").baseFingerprint());
        assertNull(child.baseFingerprint());
        RegistryException parent = assertThrows(RegistryException.class, () -> r.push("support",
                TestAdapters.write(tmp.resolve("orphan"), 4, 8, 100), Lineage.builder().parent("support:7").build()));
        assertTrue(parent.getMessage().contains("support has no version 7"), parent.getMessage());
        assertEquals(2, r.versions("support").size(), "the refused push left no version");
    }

    @Test
    void gatesPromotionsLogsForceAndRollsBack() throws Exception {
        AdapterRegistry r = open();
        push(r, "support", 4, 1, new JsonReport(1338.4, 10.1, 28.6, 319.3));
        push(r, "support", 4, 2, new JsonReport(1338.4, 11.2, 28.6, 594.0));
        push(r, "support", 4, 3, new JsonReport(1338.4, 9.0, 28.6, 300.0));
        r.promote("support:1", "production", PromotionRequest.gated(POLICY, "first release"));

        PromotionRefusedException refused = assertThrows(PromotionRefusedException.class,
                () -> r.promote("support:2", "production", PromotionRequest.gated(POLICY, "refresh")));
        assertEquals(List.of(
                "domain perplexity gain over the alias holder support:1 is -1.100 (support:1 10.10, support:2 11.20); the policy needs >= 0.5000",
                "general-text perplexity ratio is 20.77 (base 28.60, support:2 594.0); the policy allows <= 12.00"),
                refused.failures());
        assertEquals(1, r.resolve("support@production").number(), "a refused promotion moves nothing");

        r.promote("support:3", "production", PromotionRequest.gated(POLICY, "better"));
        AuditEntry forced = r.promote("support:2", "production", new PromotionRequest(POLICY, true, "hotfix", "carol"));
        assertTrue(forced.forced());
        assertTrue(forced.reason().startsWith("hotfix; forced past the gate"), forced.reason());
        assertTrue(forced.reason().contains("594.0"), forced.reason());
        assertEquals("carol", forced.actor());

        AuditEntry back = r.rollback("support", "production", "regression", "dave");
        assertEquals(2, back.fromNumber());
        assertEquals(3, back.toNumber());
        assertEquals(1, r.rollback("support", "production", null, null).toNumber());
        RegistryException none = assertThrows(RegistryException.class, () -> r.rollback("support", "production", null, null));
        assertTrue(none.getMessage().contains("support@production has no previous target"), none.getMessage());

        List<AuditEntry> moves = r.audit("support").stream().filter(e -> e.alias() != null).toList();
        assertEquals(List.of("promote 0->1", "promote 1->3", "promote 3->2", "rollback 2->3", "rollback 3->1"),
                moves.stream().map(e -> e.action() + " " + e.fromNumber() + "->" + e.toNumber()).toList());
        for (int i = 1; i < moves.size(); i++) {
            assertTrue(moves.get(i).id() > moves.get(i - 1).id());
        }
    }

    @Test
    void exportsVerifiedFilesAndChecksTheBaseOnFetch() throws Exception {
        AdapterRegistry r = open();
        AdapterVersion v = push(r, "support", 4, 1, null).version();
        Path out = tmp.resolve("out");
        r.export("support:1", out);
        assertArrayEquals(Files.readAllBytes(tmp.resolve("in-support-4-1/adapter_model.safetensors")),
                Files.readAllBytes(out.resolve("adapter_model.safetensors")));
        assertEquals(v.fingerprint(), AdapterFingerprint.of(out).value());

        BaseModelFingerprint other = new BaseModelFingerprint("sha256:" + "cd".repeat(32));
        PeftCompatibilityException e = assertThrows(PeftCompatibilityException.class,
                () -> r.fetch("support:1", tmp.resolve("fetched"), other));
        assertTrue(e.getMessage().contains(BASE) && e.getMessage().contains(other.value()), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("fetched")));
        r.fetch("support:1", tmp.resolve("fetched"), new BaseModelFingerprint(BASE));
        assertTrue(Files.isRegularFile(tmp.resolve("fetched/adapter_config.json")));
    }

    @Test
    void refusesATamperedBlobByNameAndVerifyFindsIt() throws Exception {
        AdapterRegistry r = open();
        AdapterVersion v = push(r, "support", 4, 1, null).version();
        Path blob = r.blobDir().resolve(v.weightsSha256());
        byte[] bytes = Files.readAllBytes(blob);
        bytes[100] ^= 1;
        Files.write(blob, bytes);
        Path out = tmp.resolve("out");
        RegistryException e = assertThrows(RegistryException.class, () -> r.export("support:1", out));
        assertTrue(e.getMessage().contains(blob.toString()) && e.getMessage().contains("support:1 adapter_model.safetensors")
                && e.getMessage().contains("corrupt"), e.getMessage());
        assertFalse(Files.exists(out.resolve("adapter_model.safetensors")), "nothing written from a corrupt blob");
        VerifyReport report = r.verify();
        assertFalse(report.ok());
        assertEquals(1, report.problems().size());
        assertTrue(report.problems().get(0).startsWith("support:1 adapter_model.safetensors: blob " + blob + " is corrupt"),
                report.problems().get(0));
        // pushing the same content again repairs the blob
        push(r, "support", 4, 1, null);
        assertTrue(r.verify().ok());
    }

    @Test
    void diffsConfigsAndMetadata() throws Exception {
        AdapterRegistry r = open();
        push(r, "support", 4, 1, new JsonReport(1338.4, 10.1, 28.6, 319.3));
        push(r, "support", 8, 1, new JsonReport(1338.4, 9.5, 28.6, 319.3));
        VersionDiff d = r.diff("support:1", "support:2");
        Map<String, VersionDiff.Change> byField = new java.util.TreeMap<>();
        d.changes().forEach(c -> byField.put(c.field(), c));
        assertEquals("4", byField.get("config.r").left());
        assertEquals("8", byField.get("config.r").right());
        assertEquals("10.1", byField.get("lineage.eval_report.domain.after.perplexity").left());
        assertEquals("9.5", byField.get("lineage.eval_report.domain.after.perplexity").right());
        assertTrue(byField.containsKey("config_sha256") && byField.containsKey("fingerprint"), byField.keySet().toString());
        assertFalse(byField.containsKey("weights_sha256"), "same weights bytes");
        assertFalse(byField.containsKey("config.peft_type"));
    }

    @Test
    void gcRemovesOnlyUnreferencedFiles() throws Exception {
        AdapterRegistry r = open();
        AdapterVersion v = push(r, "support", 4, 1, null).version();
        BlobStore blobs = new BlobStore(r.blobDir());
        String orphan = blobs.put(TestAdapters.write(tmp.resolve("orphan"), 4, 99, 10).resolve("adapter_model.safetensors"));
        Files.write(r.blobDir().resolve(".x.peft4j-tmp"), new byte[] {1});
        VerifyReport before = r.verify();
        assertTrue(before.ok());
        assertEquals(List.of(orphan), before.unreferenced());
        assertEquals(List.of(".x.peft4j-tmp"), before.staleTemporaries());
        assertEquals(List.of(), r.gc(Duration.ofHours(1)), "young files stay: a push may be writing them");
        assertEquals(List.of(orphan, ".x.peft4j-tmp"), r.gc(Duration.ZERO));
        assertEquals(List.of(v.configSha256(), v.weightsSha256()).stream().sorted().toList(), blobs.list());
        r.export("support:1", tmp.resolve("after-gc"));
    }

    @Test
    void refusesDirectoriesThatAreNotAdaptersByName() throws Exception {
        AdapterRegistry r = open();
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        PeftFormatException e = assertThrows(PeftFormatException.class, () -> r.push("support", empty, Lineage.none()));
        assertTrue(e.getMessage().contains(empty.resolve("adapter_model.safetensors").toString()), e.getMessage());
        Path pickle = Files.createDirectories(tmp.resolve("pickle"));
        Files.write(pickle.resolve("adapter_model.bin"), new byte[] {1});
        PeftFormatException p = assertThrows(PeftFormatException.class, () -> r.push("support", pickle, Lineage.none()));
        assertTrue(p.getMessage().contains("adapter_model.bin") && p.getMessage().contains("pickle"), p.getMessage());
        RegistryException badName = assertThrows(RegistryException.class,
                () -> r.push("bad name", TestAdapters.write(tmp.resolve("ok"), 4, 1, 10), Lineage.none()));
        assertTrue(badName.getMessage().contains("'bad name' is not a valid adapter name"), badName.getMessage());
        assertTrue(r.list().isEmpty());
    }

    @Test
    void concurrentPromotersAreSerialized() throws Exception {
        AdapterRegistry r = open();
        push(r, "support", 4, 1, null);
        push(r, "support", 4, 2, null);
        int rounds = 8;
        Process a = ChildJvm.start(PromoteLoop.class, location(), "support:1", "production", Integer.toString(rounds));
        Process b = ChildJvm.start(PromoteLoop.class, location(), "support:2", "production", Integer.toString(rounds));
        ChildJvm.awaitSuccess(a, Duration.ofSeconds(120));
        ChildJvm.awaitSuccess(b, Duration.ofSeconds(120));
        List<AuditEntry> moves = r.audit("support").stream().filter(e -> "promote".equals(e.action())).toList();
        assertEquals(2 * rounds, moves.size());
        for (int i = 1; i < moves.size(); i++) {
            assertEquals(moves.get(i - 1).toNumber(), moves.get(i).fromNumber(), "entry " + moves.get(i).id()
                    + " starts where the one before it ended: the moves happened one after the other");
        }
        int last = moves.get(moves.size() - 1).toNumber();
        assertEquals(last, r.resolve("support@production").number());
        assertTrue(last == 1 || last == 2);
        assertEquals(rounds, moves.stream().filter(m -> m.actor().equals("promoter-1")).count());
    }

    /** A review summary as {@code peft4j review summarize} writes it (only the keys the gate reads). */
    static com.fasterxml.jackson.databind.JsonNode reviewSummary(String fingerprint, int wins, int losses, int ties,
            double winRate, double low, double high, int unsafe, int pii) {
        return Json.parse(String.format(java.util.Locale.ROOT, "{\"systems\": {\"candidate\": {\"fingerprint\": \"%s\"}},"
                + " \"comparisons\": [{\"system\": \"candidate\", \"other\": \"base\", \"wins\": %d, \"losses\": %d,"
                + " \"ties\": %d, \"win_rate\": %s, \"ci_low\": %s, \"ci_high\": %s}],"
                + " \"flags\": {\"candidate\": {\"unsafe\": %d, \"pii\": %d}, \"base\": {\"unsafe\": 3, \"pii\": 0}}}",
                fingerprint, wins, losses, ties, winRate, low, high, unsafe, pii));
    }

    @Test
    void gatesOnTheLatestRecordedReview() throws Exception {
        AdapterRegistry r = open();
        AdapterVersion v1 = push(r, "support", 4, 1, null).version();
        AdapterVersion v2 = push(r, "support", 4, 2, null).version();
        PromotionPolicy lower = new PromotionPolicy("perplexity", null, null, null,
                new ReviewGate(0.5, "base", ReviewGate.Bound.LOWER, List.of("unsafe", "pii")));

        PromotionRefusedException none = assertThrows(PromotionRefusedException.class,
                () -> r.promote("support:2", "production", PromotionRequest.gated(lower, null)));
        assertEquals(List.of("support:2 has no recorded review (peft4j review summarize --record)"), none.failures());

        RegistryException other = assertThrows(RegistryException.class,
                () -> r.recordReview("support:2", reviewSummary(v1.fingerprint(), 9, 1, 0, 0.9, 0.6, 0.98, 0, 0), "ann"));
        assertTrue(other.getMessage().contains("the review summary is of adapter " + v1.fingerprint() + ", not of support:2"),
                other.getMessage());
        assertTrue(r.reviews("support:2").isEmpty(), "a refused review is not recorded");

        // 7 wins, 2 losses, 1 tie: point 0.75, Wilson 95% interval 0.4417-0.9178; one PII flag
        AdapterReview first = r.recordReview("support:2", reviewSummary(v2.fingerprint(), 7, 2, 1, 0.75, 0.4417, 0.9178, 0, 1), "ann");
        assertEquals("support:2", first.ref());
        assertEquals("ann", first.actor());
        PromotionRefusedException refused = assertThrows(PromotionRefusedException.class,
                () -> r.promote("support:2", "production", PromotionRequest.gated(lower, null)));
        assertEquals(List.of(
                "review win rate of support:2 over base is 0.4417 at the lower 95% bound (point 0.7500; 7 wins, 2 losses, 1 ties);"
                        + " the policy needs >= 0.5000",
                "reviewers flagged 1 of support:2's outputs 'pii'; the policy needs 0"), refused.failures());
        PromotionPolicy point = new PromotionPolicy("perplexity", null, null, null,
                new ReviewGate(0.5, "base", ReviewGate.Bound.POINT, List.of("unsafe", "toxic")));
        PromotionRefusedException unknown = assertThrows(PromotionRefusedException.class,
                () -> r.promote("support:2", "production", PromotionRequest.gated(point, null)));
        assertEquals(List.of("support:2's review counts no flag 'toxic' (it counts [pii, unsafe])"), unknown.failures());
        PromotionPolicy baseline = new PromotionPolicy("perplexity", null, null, null,
                new ReviewGate(0.5, "baseline", ReviewGate.Bound.POINT, List.of()));
        PromotionRefusedException noPair = assertThrows(PromotionRefusedException.class,
                () -> r.promote("support:2", "production", PromotionRequest.gated(baseline, null)));
        assertTrue(noPair.failures().get(0).contains("has no judged comparison of the candidate with baseline"), noPair.failures().toString());

        // a second review round, after fixes: the gate reads the latest one
        r.recordReview("support:2", reviewSummary(v2.fingerprint(), 18, 2, 0, 0.9, 0.6990, 0.9721, 0, 0), "bob");
        assertEquals(List.of("ann", "bob"), r.reviews("support").stream().map(AdapterReview::actor).toList());
        assertEquals(2, r.promote("support:2", "production", PromotionRequest.gated(lower, "reviewed")).toNumber());
        assertTrue(r.reviews("support:1").isEmpty());
        assertEquals("{\"against\":\"base\",\"bound\":\"lower\",\"min_win_rate\":0.5,\"zero_flags\":[\"unsafe\",\"pii\"]}",
                Json.write(lower.toJson().get("review")));
    }
}
