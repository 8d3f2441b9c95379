package io.github.peft4j.registry;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The registries the fuzz properties run against, opened once per test class and seeded with
 * {@code support:1}, {@code support:2} ({@code support@production} → 1) and {@code team/x:1}:
 * SQLite always, PostgreSQL as well when {@code PEFT4J_TEST_POSTGRES_URL} is set (in a schema of its
 * own, dropped by {@link #close}).
 */
final class FuzzRegistries implements AutoCloseable {

    static final String SQLITE = "sqlite";
    static final String POSTGRES = "postgres";

    private final Path root;
    private final Map<String, AdapterRegistry> registries = new LinkedHashMap<>();
    private TestPostgres.Schema pgSchema;

    FuzzRegistries() {
        try {
            root = Files.createTempDirectory("registry-fuzz");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @return the backends to draw from: SQLite, and PostgreSQL when configured */
    static List<String> backends() {
        List<String> out = new ArrayList<>(List.of(SQLITE));
        if (TestPostgres.baseUrl() != null) {
            out.add(POSTGRES);
        }
        return out;
    }

    /** @return a scratch directory for one try's inputs, under this fixture's temporary root */
    Path scratch() {
        try {
            return Files.createTempDirectory(root, "try");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @return the seeded registry of a backend */
    synchronized AdapterRegistry get(String backend) {
        return registries.computeIfAbsent(backend, b -> {
            try {
                AdapterRegistry r = b.equals(POSTGRES) ? openPostgres() : AdapterRegistry.open(root.resolve("sqlite"));
                seed(r, root.resolve("seed-" + b));
                return r;
            } catch (Exception e) {
                throw new IllegalStateException("cannot set up the " + b + " registry", e);
            }
        });
    }

    private AdapterRegistry openPostgres() throws Exception {
        pgSchema = TestPostgres.Schema.create("peft4j_fuzz_");
        return AdapterRegistry.open(pgSchema.url(), root.resolve("pg-blobs"));
    }

    static void seed(AdapterRegistry r, Path dir) throws IOException {
        Lineage lineage = Lineage.builder().baseFingerprint(RegistryContract.BASE).createdBy("alice").build();
        r.push("support", TestAdapters.write(dir.resolve("s1"), 4, 1, 256), lineage);
        r.push("support", TestAdapters.write(dir.resolve("s2"), 4, 2, 256), lineage);
        r.push("team/x", TestAdapters.write(dir.resolve("t1"), 4, 3, 256), lineage);
        r.promote("support:1", "production", PromotionRequest.ungated("seed"));
    }

    @Override
    public void close() throws Exception {
        if (pgSchema != null) {
            pgSchema.close();
        }
        delete(root);
    }

    /** Deletes a directory tree, best effort (a temporary directory; what cannot go is left to the OS). */
    static void delete(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            // leave it
        }
    }
}
