package io.github.peft4j.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The registry contract on the embedded default (SQLite in {@code <root>/registry.db}), plus SQLite-only faults. */
class SqliteRegistryTest extends RegistryContract {

    @Override
    AdapterRegistry open() {
        return AdapterRegistry.open(tmp.resolve("registry"));
    }

    @Override
    List<String> location() {
        return List.of(tmp.resolve("registry").toString(), "-");
    }

    @Test
    void embeddedLayoutIsADatabaseFileAndABlobDirectory() throws Exception {
        AdapterRegistry r = open();
        AdapterVersion v = push(r, "support", 4, 1, null).version();
        assertTrue(Files.isRegularFile(tmp.resolve("registry/registry.db")));
        assertTrue(Files.isRegularFile(tmp.resolve("registry/blobs").resolve(v.weightsSha256())));
        // a second handle (another process would do the same) sees the version
        assertEquals(v, AdapterRegistry.open(tmp.resolve("registry")).resolve("support:1"));
    }

    @Test
    void refusesADatabaseFileThatIsNotOurs() throws Exception {
        Path garbage = Files.createDirectories(tmp.resolve("garbage"));
        Files.write(garbage.resolve("registry.db"), "this is not a database, just some text long enough".repeat(40).getBytes());
        RegistryException e = assertThrows(RegistryException.class, () -> AdapterRegistry.open(garbage));
        assertTrue(e.getMessage().contains(garbage.resolve("registry.db").toString())
                && e.getMessage().contains("is not a peft4j registry database"), e.getMessage());

        Path foreign = Files.createDirectories(tmp.resolve("foreign"));
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + foreign.resolve("registry.db"));
                Statement s = c.createStatement()) {
            s.execute("CREATE TABLE customers (id INTEGER)");
        }
        RegistryException f = assertThrows(RegistryException.class, () -> AdapterRegistry.open(foreign));
        assertTrue(f.getMessage().contains("is not a peft4j registry database: it holds other tables [customers]"), f.getMessage());

        Path file = Files.writeString(tmp.resolve("plain.txt"), "x");
        RegistryException p = assertThrows(RegistryException.class, () -> AdapterRegistry.open(file));
        assertTrue(p.getMessage().contains(file + " is a file"), p.getMessage());
    }

    @Test
    void aVersionOneDatabaseGainsTheReviewsTableWhenOpened() throws Exception {
        AdapterRegistry r = open();
        AdapterVersion v = push(r, "support", 4, 1, null).version();
        Path db = tmp.resolve("registry/registry.db");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement s = c.createStatement()) {
            s.execute("DROP TABLE peft4j_reviews");
            s.execute("UPDATE peft4j_meta SET meta_value = '1' WHERE meta_key = 'schema_version'");
        }
        AdapterRegistry upgraded = AdapterRegistry.open(tmp.resolve("registry"));
        upgraded.recordReview("support:1", reviewSummary(v.fingerprint(), 1, 0, 0, 1.0, 0.2065, 1.0, 0, 0), "ann");
        assertEquals(1, upgraded.reviews("support:1").size());
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement s = c.createStatement();
                java.sql.ResultSet rs = s.executeQuery("SELECT meta_value FROM peft4j_meta WHERE meta_key = 'schema_version'")) {
            assertTrue(rs.next());
            assertEquals("2", rs.getString(1));
        }
    }
}
