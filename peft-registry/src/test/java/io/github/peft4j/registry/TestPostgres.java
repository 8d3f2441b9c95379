package io.github.peft4j.registry;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The PostgreSQL database the registry tests may use: {@code PEFT4J_TEST_POSTGRES_URL} (system
 * property or environment variable), with a schema of its own per test, dropped afterwards.
 * {@code .ci/run} starts a server and fails the build if the PostgreSQL tests were skipped.
 */
final class TestPostgres {

    static final String URL_KEY = "PEFT4J_TEST_POSTGRES_URL";

    private TestPostgres() {}

    /** @return the configured database's URL, or {@code null} when none is */
    static String baseUrl() {
        String base = System.getProperty(URL_KEY, System.getenv(URL_KEY));
        return base == null || base.isBlank() ? null : base;
    }

    /**
     * A fresh schema in the configured database.
     *
     * @param name the schema's name
     * @param url a JDBC URL whose connections use it
     */
    record Schema(String name, String url) implements AutoCloseable {

        /** @return a new, empty schema (the configured database must be set) */
        static Schema create(String prefix) throws SQLException {
            String base = baseUrl();
            String name = prefix + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
            try (Connection c = DriverManager.getConnection(base); Statement s = c.createStatement()) {
                s.execute("CREATE SCHEMA " + name);
            }
            return new Schema(name, base + (base.contains("?") ? "&" : "?") + "currentSchema=" + name);
        }

        @Override
        public void close() throws SQLException {
            try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
                s.execute("DROP SCHEMA " + name + " CASCADE");
            }
        }
    }
}
