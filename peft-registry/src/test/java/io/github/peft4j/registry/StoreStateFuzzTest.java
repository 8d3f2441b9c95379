package io.github.peft4j.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.peft4j.core.PeftException;
import io.github.peft4j.core.fingerprint.Sha256;
import io.github.peft4j.core.io.AdapterDirectory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Issue 24's standing suite, registry part: a registry whose blob directory or database was changed
 * underneath it (blobs missing, truncated, flipped, swapped, replaced by directories or links to
 * devices; junk files; version, alias, audit and meta rows rewritten with odd values; the database
 * file cut or scribbled on). Every verb then ends in success or a {@link PeftException} naming the
 * registry file or the reference, within 10 s; {@code verify} names every damaged blob a version
 * references; an export that fails leaves the target's files as they were; {@code gc} never deletes
 * a blob a version references; pushing the original content again succeeds or is refused by name.
 */
class StoreStateFuzzTest {

    private static final long BOUND_NANOS = 10_000_000_000L;
    private static final AtomicLong CALLS_OK = new AtomicLong();
    private static final AtomicLong CALLS_REFUSED = new AtomicLong();
    private static final AtomicLong TRIES = new AtomicLong();
    private static FuzzRegistries fixture;
    private static Path template;
    private static Path seedDirs;
    private static List<AdapterVersion> seeded;

    /** One change made to the registry's files behind its back. */
    record Damage(String kind, int target, String value) {
        @Override
        public String toString() {
            return kind + "#" + target + (value == null ? "" : "=" + value.substring(0, Math.min(60, value.length())));
        }
    }

    @BeforeContainer
    static void seed() throws Exception {
        fixture = new FuzzRegistries();
        template = fixture.scratch().resolve("registry");
        seedDirs = fixture.scratch();
        AdapterRegistry r = AdapterRegistry.open(template);
        FuzzRegistries.seed(r, seedDirs);
        seeded = r.list();
    }

    @AfterContainer
    static void close() throws Exception {
        fixture.close();
        System.out.printf("fuzz counts: damaged registries %d, calls on them %d succeeded, %d refused%n", TRIES.get(),
                CALLS_OK.get(), CALLS_REFUSED.get());
    }

    static final String[] BLOB_DAMAGE = {"delete", "truncate", "flip", "empty", "directory", "swap", "link to /dev/zero",
        "dangling link"};
    static final String[] FILE_DAMAGE = {"junk blob", "temporary file", "not a blob name", "directory named like a blob"};
    static final String[] VERSION_COLUMNS = {"fingerprint", "config_sha256", "weights_sha256", "lineage", "number",
        "peft_type", "weights_bytes", "name", "parent", "base_fingerprint", "created_at"};
    static final String[] ROW_DAMAGE = {"alias to a missing version", "alias renamed", "rollback before any promote",
        "audit emptied", "promote to a missing version", "schema version", "format", "drop audit table",
        "drop aliases table", "database cut", "database scribbled", "database deleted"};

    @Provide
    Arbitrary<Damage> damage() {
        Arbitrary<Integer> index = Arbitraries.integers().between(0, 9);
        Arbitrary<String> values = Arbitraries.oneOf(OddText.any(), Arbitraries.of("../../../../etc/passwd", "/dev/zero",
                "", "AB".repeat(32), "ab".repeat(31), "0".repeat(64), "{", "[]", "-1", "99", "0"),
                Arbitraries.strings().withChars("0123456789abcdef").ofLength(64));
        Arbitrary<Damage> blobs = Arbitraries.of(BLOB_DAMAGE).flatMap(k -> index.map(i -> new Damage(k, i, null)));
        Arbitrary<Damage> files = Arbitraries.of(FILE_DAMAGE).flatMap(k -> index.map(i -> new Damage(k, i, null)));
        Arbitrary<Damage> columns = Arbitraries.of(VERSION_COLUMNS)
                .flatMap(k -> index.flatMap(i -> values.map(v -> new Damage("column " + k, i, v))));
        Arbitrary<Damage> rows = Arbitraries.of(ROW_DAMAGE).flatMap(k -> index.flatMap(i -> values.map(v -> new Damage(k, i, v))));
        return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(4, blobs), net.jqwik.api.Tuple.of(1, files),
                net.jqwik.api.Tuple.of(3, columns), net.jqwik.api.Tuple.of(2, rows));
    }

    @Provide
    Arbitrary<List<Damage>> damages() {
        return damage().list().ofMinSize(1).ofMaxSize(3);
    }

    /** The short run of {@code mvn verify} (each try copies, damages and exercises a registry: ~0.2 s). */
    @Property(tries = 30)
    void everyVerbOnADamagedRegistryEndsInSuccessOrANamedPeftException(@ForAll("damages") List<Damage> damages)
            throws Exception {
        exercise(damages);
    }

    /** The long run, {@code -Pfuzz} only (the tag is excluded otherwise; see this module's pom). */
    @Property(tries = 3000)
    @net.jqwik.api.Tag("long")
    void longRunOnDamagedRegistries(@ForAll("damages") List<Damage> damages) throws Exception {
        exercise(damages);
    }

    private static void exercise(List<Damage> damages) throws Exception {
        TRIES.incrementAndGet();
        Path scratch = fixture.scratch();
        try {
            Path root = scratch.resolve("registry");
            copy(template, root);
            boolean rowsTouched = false;
            for (Damage d : damages) {
                rowsTouched |= apply(root, d);
            }
            List<String> damagedBlobs = new ArrayList<>();
            for (AdapterVersion v : seeded) {
                for (String sha : new String[] {v.configSha256(), v.weightsSha256()}) {
                    Path blob = root.resolve(AdapterRegistry.BLOBS_DIR).resolve(sha);
                    if (!Files.isRegularFile(blob) || !Sha256.ofFile(blob).equals(sha)) {
                        damagedBlobs.add(sha);
                    }
                }
            }
            check(root, scratch, damages, damagedBlobs, rowsTouched);
        } finally {
            FuzzRegistries.delete(scratch);
        }
    }

    private static void check(Path root, Path scratch, List<Damage> damages, List<String> damagedBlobs, boolean rowsTouched)
            throws Exception {
        String what = "after " + damages;
        AdapterRegistry r = call(what + ": open", root, () -> AdapterRegistry.open(root));
        if (r == null) {
            return;
        }
        VerifyReport report = call(what + ": verify", root, r::verify);
        if (report != null && !rowsTouched) {
            for (String sha : damagedBlobs) {
                if (seeded.stream().anyMatch(v -> v.configSha256().equals(sha) || v.weightsSha256().equals(sha))) {
                    assertFalse(report.ok(), what + ": verify passed with blob " + sha + " damaged");
                    assertTrue(report.problems().stream().anyMatch(p -> p.contains(r.blobDir().resolve(sha).toString())),
                            what + ": no problem names blob " + sha + ": " + report.problems());
                }
            }
        }
        for (AdapterVersion v : seeded) {
            call(what + ": config of " + v.ref(), root, () -> r.config(r.resolve(v.ref())));
            Path out = Files.createDirectories(scratch.resolve("export-" + v.number() + "-" + v.name().replace('/', '_')));
            byte[] sentinel = ("sentinel " + v.ref()).getBytes(java.nio.charset.StandardCharsets.UTF_8);
            Files.write(out.resolve(AdapterDirectory.WEIGHTS_FILE), sentinel);
            Files.write(out.resolve("adapter_config.json"), sentinel);
            AdapterVersion exported = call(what + ": export " + v.ref(), root, () -> r.export(v.ref(), out));
            if (exported == null) {
                assertArrayEquals(sentinel, Files.readAllBytes(out.resolve(AdapterDirectory.WEIGHTS_FILE)),
                        what + ": a failed export of " + v.ref() + " changed the target's weights");
                assertArrayEquals(sentinel, Files.readAllBytes(out.resolve("adapter_config.json")),
                        what + ": a failed export of " + v.ref() + " changed the target's config");
            } else {
                assertEquals(exported.weightsSha256(), Sha256.ofFile(out.resolve(AdapterDirectory.WEIGHTS_FILE)), what);
                assertEquals(exported.configSha256(), Sha256.ofFile(out.resolve("adapter_config.json")), what);
            }
        }
        call(what + ": diff", root, () -> r.diff("support:1", "support:2"));
        call(what + ": resolve alias", root, () -> r.resolve("support@production"));
        call(what + ": promote", root, () -> r.promote("support:2", "staging", PromotionRequest.ungated("fuzz")));
        call(what + ": rollback", root, () -> r.rollback("support", "production", "fuzz", null));
        List<AdapterVersion> before = call(what + ": list", root, r::list);
        call(what + ": gc", root, () -> r.gc(Duration.ZERO));
        if (before != null) {
            for (AdapterVersion v : before) {
                for (String sha : new String[] {v.configSha256(), v.weightsSha256()}) {
                    if (Sha256.isHex(sha) && Files.isRegularFile(r.blobDir().resolve(sha)) ) {
                        continue;
                    }
                    assertFalse(Sha256.isHex(sha) && !damagedBlobs.contains(sha) && seededBlob(sha),
                            what + ": gc deleted blob " + sha + " of " + v.ref());
                }
            }
        }
        AdapterRegistry.PushResult again = call(what + ": push support:1 again", root,
                () -> r.push("support", seedDirs.resolve("s1"), Lineage.builder().baseFingerprint(RegistryContract.BASE).build()));
        if (again != null && !rowsTouched) {
            VerifyReport after = r.verify();
            assertTrue(after.problems().stream().noneMatch(p -> p.startsWith("support:1 ")),
                    what + ": pushing support:1 again did not repair it: " + after.problems());
        }
    }

    private static boolean seededBlob(String sha) {
        return seeded.stream().anyMatch(v -> v.configSha256().equals(sha) || v.weightsSha256().equals(sha));
    }

    @FunctionalInterface
    interface Call<T> {
        T run() throws Exception;
    }

    /** @return the result, or {@code null} when the call was refused with a PeftException naming the registry */
    private static <T> T call(String what, Path root, Call<T> call) throws Exception {
        long start = System.nanoTime();
        try {
            T result = call.run();
            CALLS_OK.incrementAndGet();
            return result;
        } catch (PeftException e) {
            CALLS_REFUSED.incrementAndGet();
            String message = String.valueOf(e.getMessage());
            assertTrue(message.contains(root.toString()) || seeded.stream().anyMatch(v -> message.contains(v.name())),
                    what + ": the message names neither the registry nor the version: " + message);
            return null;
        } finally {
            assertTrue(System.nanoTime() - start < BOUND_NANOS, what + " took longer than 10 s");
        }
    }

    /** @return whether the database was changed (then verify's findings may be other than the blobs') */
    private static boolean apply(Path root, Damage d) throws Exception {
        Path blobs = root.resolve(AdapterRegistry.BLOBS_DIR);
        List<String> names = new BlobStore(blobs).list();
        String sha = names.get(d.target() % names.size());
        Path blob = blobs.resolve(sha);
        switch (d.kind()) {
            case "delete" -> remove(blob);
            case "truncate" -> {
                if (Files.isRegularFile(blob)) {
                    byte[] bytes = Files.readAllBytes(blob);
                    Files.write(blob, java.util.Arrays.copyOf(bytes, bytes.length * d.target() / 10));
                }
            }
            case "flip" -> {
                // an earlier damage of the same list may have emptied it: nothing to flip then
                if (Files.isRegularFile(blob) && Files.size(blob) > 0) {
                    byte[] bytes = Files.readAllBytes(blob);
                    bytes[bytes.length * d.target() / 10] ^= 0x5a;
                    Files.write(blob, bytes);
                }
            }
            case "empty" -> {
                remove(blob); // an earlier damage may have made it a directory or a link
                Files.write(blob, new byte[0]);
            }
            case "directory" -> {
                remove(blob);
                Files.createDirectories(blob.resolve("inside"));
            }
            case "swap" -> {
                Path other = blobs.resolve(names.get((d.target() + 1) % names.size()));
                if (Files.isRegularFile(other) && !other.equals(blob)) {
                    remove(blob);
                    Files.copy(other, blob);
                }
            }
            case "link to /dev/zero" -> {
                remove(blob);
                Files.createSymbolicLink(blob, Path.of("/dev/zero"));
            }
            case "dangling link" -> {
                remove(blob);
                Files.createSymbolicLink(blob, root.resolve("gone"));
            }
            case "junk blob" -> Files.write(blobs.resolve("0123456789".repeat(6) + "abcd"), new byte[] {1, 2, 3});
            case "temporary file" -> Files.write(blobs.resolve(".x.peft4j-tmp"), new byte[] {1});
            case "not a blob name" -> Files.write(blobs.resolve("notes.txt"), new byte[] {1});
            case "directory named like a blob" -> Files.createDirectories(blobs.resolve("f".repeat(64)).resolve("x"));
            default -> {
                return applyToDatabase(root, d);
            }
        }
        return false;
    }

    private static void remove(Path file) throws Exception {
        if (Files.isDirectory(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            FuzzRegistries.delete(file);
        } else {
            Files.deleteIfExists(file);
        }
    }

    private static boolean applyToDatabase(Path root, Damage d) throws Exception {
        Path db = root.resolve(AdapterRegistry.DATABASE_FILE);
        if (!Files.exists(db)) {
            return true; // deleted by an earlier damage
        }
        switch (d.kind()) {
            case "database cut" -> {
                byte[] bytes = Files.readAllBytes(db);
                Files.write(db, java.util.Arrays.copyOf(bytes, bytes.length * d.target() / 10));
                return true;
            }
            case "database scribbled" -> {
                byte[] bytes = Files.readAllBytes(db);
                for (int i = 0; i < 16; i++) {
                    bytes[(bytes.length / 10 * d.target() + i * 97) % bytes.length] ^= 0x33;
                }
                Files.write(db, bytes);
                return true;
            }
            case "database deleted" -> {
                Files.delete(db);
                return true;
            }
            default -> {
                // falls through to SQL below
            }
        }
        String sql = switch (d.kind()) {
            case "alias to a missing version" -> "UPDATE peft4j_aliases SET number = 99";
            case "alias renamed" -> "UPDATE peft4j_aliases SET alias = ?";
            case "rollback before any promote" -> "INSERT INTO peft4j_audit (name, alias, action, from_number, to_number,"
                    + " actor, at, reason, forced) VALUES ('support', 'production', 'rollback', 1, 2, 'x', 'y', ?, 0)";
            case "audit emptied" -> "DELETE FROM peft4j_audit WHERE ? IS NOT NULL";
            case "promote to a missing version" -> "INSERT INTO peft4j_audit (name, alias, action, from_number, to_number,"
                    + " actor, at, reason, forced) VALUES ('support', 'production', 'promote', 1, 99, 'x', 'y', ?, 0)";
            case "schema version" -> "UPDATE peft4j_meta SET meta_value = ? WHERE meta_key = 'schema_version'";
            case "format" -> "UPDATE peft4j_meta SET meta_value = ? WHERE meta_key = 'format'";
            case "drop audit table" -> "DROP TABLE peft4j_audit";
            case "drop aliases table" -> "DROP TABLE peft4j_aliases";
            default -> "UPDATE peft4j_versions SET " + d.kind().substring("column ".length()) + " = ? WHERE rowid = "
                    + (1 + d.target() % seeded.size());
        };
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db)) {
            if (sql.contains("?")) {
                try (var p = c.prepareStatement(sql)) {
                    p.setString(1, d.value());
                    p.executeUpdate();
                } catch (java.sql.SQLException e) {
                    // a constraint refused the change: the database stays as it was
                }
            } else {
                try (Statement s = c.createStatement()) {
                    s.execute(sql);
                } catch (java.sql.SQLException e) {
                    // already dropped by an earlier damage
                }
            }
        }
        return true;
    }

    private static void copy(Path from, Path to) throws Exception {
        try (var all = Files.walk(from)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }
}
