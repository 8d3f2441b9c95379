package io.github.peft4j.registry;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;

/**
 * The registry contract on PostgreSQL, when {@code PEFT4J_TEST_POSTGRES_URL} (system property or
 * environment variable) names a database; each test gets a schema of its own, dropped afterwards.
 * {@code .ci/run} starts a server and fails the build if these tests were skipped.
 */
class PostgresRegistryTest extends RegistryContract {

    static final String URL_KEY = "PEFT4J_TEST_POSTGRES_URL";

    private String url;
    private String schema;

    @BeforeEach
    void createSchema() throws Exception {
        String base = System.getProperty(URL_KEY, System.getenv(URL_KEY));
        Assumptions.assumeTrue(base != null && !base.isBlank(), URL_KEY + " is not set");
        schema = "peft4j_test_" + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
        try (Connection c = DriverManager.getConnection(base); Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA " + schema);
        }
        url = base + (base.contains("?") ? "&" : "?") + "currentSchema=" + schema;
    }

    @AfterEach
    void dropSchema() throws Exception {
        if (schema != null) {
            try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
                s.execute("DROP SCHEMA " + schema + " CASCADE");
            }
        }
    }

    @Override
    AdapterRegistry open() {
        return AdapterRegistry.open(url, tmp.resolve("blobs"));
    }

    @Override
    List<String> location() {
        return List.of(url, tmp.resolve("blobs").toString());
    }
}
