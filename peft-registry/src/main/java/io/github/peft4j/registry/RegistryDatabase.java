package io.github.peft4j.registry;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteConfig;

/**
 * The registry's metadata database through plain JDBC: SQLite embedded ({@code <root>/registry.db})
 * or PostgreSQL shared ({@code jdbc:postgresql://...}), same SQL. Every operation is one transaction
 * on a fresh connection: SQLite begins it {@code IMMEDIATE} (writers queue on the database lock,
 * waiting up to the busy timeout); PostgreSQL takes a row lock on the adapter name. Transient
 * conflicts (busy, serialization failure, deadlock) are retried.
 *
 * <pre>{@code
 * RegistryDatabase db = RegistryDatabase.open("jdbc:sqlite:runs/registry/registry.db");
 * int n = db.inTransaction(c -> ...);
 * }</pre>
 */
final class RegistryDatabase {

    private static final Logger LOG = LoggerFactory.getLogger(RegistryDatabase.class);

    /** Written into peft4j_meta; a database without it is not ours. */
    static final String FORMAT = "peft4j-registry";
    /** 1: versions, aliases, audit; 2: + recorded reviews (a version-1 database is upgraded when opened). */
    static final int SCHEMA_VERSION = 2;
    private static final int BUSY_TIMEOUT_MS = 60_000;
    private static final int ATTEMPTS = 8;
    private static final long SCHEMA_LOCK_KEY = 0x7065667434L; // "peft4" for pg_advisory_xact_lock

    /** The work of one transaction. */
    @FunctionalInterface
    interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    private final String url;
    private final boolean postgres;
    private final Properties properties;

    private RegistryDatabase(String url) {
        this.url = url;
        this.postgres = url.startsWith("jdbc:postgresql:");
        if (!postgres && !url.startsWith("jdbc:sqlite:")) {
            throw new RegistryException("'" + url + "' is not a registry database URL; expected jdbc:sqlite:FILE or jdbc:postgresql://...");
        }
        if (postgres) {
            properties = new Properties();
        } else {
            SQLiteConfig config = new SQLiteConfig();
            config.setBusyTimeout(BUSY_TIMEOUT_MS);
            config.setJournalMode(SQLiteConfig.JournalMode.WAL);
            config.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
            config.setTransactionMode(SQLiteConfig.TransactionMode.IMMEDIATE);
            properties = config.toProperties();
        }
    }

    /**
     * Opens a database, creating the schema in an empty one.
     *
     * @param url {@code jdbc:sqlite:FILE} or {@code jdbc:postgresql://...}
     * @return the database
     * @throws RegistryException naming it if it is not a peft4j registry (or not a database at all)
     */
    static RegistryDatabase open(String url) {
        RegistryDatabase db = new RegistryDatabase(url);
        if (!db.postgres) {
            Path file = Path.of(url.substring("jdbc:sqlite:".length()));
            try {
                Files.createDirectories(file.toAbsolutePath().getParent());
            } catch (java.io.IOException e) {
                throw new RegistryException("cannot create the directory of " + file + ": " + e.getMessage(), e);
            }
        }
        db.inTransaction(db::ensureSchema);
        return db;
    }

    boolean postgres() {
        return postgres;
    }

    /** @return " FOR UPDATE" where row locks exist (SQLite's IMMEDIATE transaction already serializes writers) */
    String forUpdate() {
        return postgres ? " FOR UPDATE" : "";
    }

    /** @return the database without its password, for messages */
    String describe() {
        return withoutPassword(url);
    }

    /** @return a JDBC URL with its password hidden, for messages */
    static String withoutPassword(String url) {
        return String.valueOf(url).replaceAll("(?i)(password=)[^&]*", "$1***");
    }

    /**
     * Runs work in one transaction, retrying transient conflicts with backoff.
     *
     * @param work the transaction's work
     * @return what it returns
     */
    <T> T inTransaction(Work<T> work) {
        SQLException last = null;
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            try (Connection c = DriverManager.getConnection(url, properties)) {
                c.setAutoCommit(false);
                try {
                    T result = work.run(c);
                    c.commit();
                    return result;
                } catch (SQLException | RuntimeException e) {
                    rollbackQuietly(c);
                    throw e;
                }
            } catch (SQLException e) {
                if (String.valueOf(e.getMessage()).contains("SQLITE_NOTADB")) {
                    throw new RegistryException(describe() + " is not a peft4j registry database (not an SQLite file): "
                            + e.getMessage(), e);
                }
                if (!isTransient(e)) {
                    throw new RegistryException(describe() + ": " + e.getMessage(), e);
                }
                last = e;
                LOG.debug("{}: transient conflict ({}), attempt {} of {}", describe(), e.getMessage(), attempt, ATTEMPTS);
                sleep(20L << Math.min(attempt, 6));
            }
        }
        throw new RegistryException(describe() + ": gave up after " + ATTEMPTS + " conflicting attempts: " + last.getMessage(), last);
    }

    private boolean isTransient(SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        if (postgres) {
            return state.equals("40001") || state.equals("40P01") || state.equals("23505");
        }
        String msg = String.valueOf(e.getMessage());
        return msg.contains("SQLITE_BUSY") || msg.contains("SQLITE_LOCKED");
    }

    private Void ensureSchema(Connection c) throws SQLException {
        if (postgres) {
            try (Statement s = c.createStatement()) {
                s.execute("SELECT pg_advisory_xact_lock(" + SCHEMA_LOCK_KEY + ")");
            }
        }
        TreeSet<String> tables = tables(c);
        if (tables.contains("peft4j_meta")) {
            if (checkOurs(c) < 2) {
                upgradeToReviews(c);
            }
            return null;
        }
        if (!postgres && !tables.isEmpty()) {
            throw new RegistryException(describe() + " is not a peft4j registry database: it holds other tables " + tables
                    + " and no peft4j_meta");
        }
        create(c);
        return null;
    }

    private TreeSet<String> tables(Connection c) throws SQLException {
        String sql = postgres
                ? "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
                : "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'";
        TreeSet<String> out = new TreeSet<>();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    /** @return the database's schema version */
    private int checkOurs(Connection c) throws SQLException {
        String format = null;
        int version = -1;
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT meta_key, meta_value FROM peft4j_meta")) {
            while (rs.next()) {
                if ("format".equals(rs.getString(1))) {
                    format = rs.getString(2);
                } else if ("schema_version".equals(rs.getString(1))) {
                    version = schemaVersion(rs.getString(2));
                }
            }
        }
        if (!FORMAT.equals(format)) {
            throw new RegistryException(describe() + " is not a peft4j registry database: peft4j_meta says format '" + format + "'");
        }
        if (version > SCHEMA_VERSION) {
            throw new RegistryException(describe() + " has registry schema " + version + "; this peft4j reads up to "
                    + SCHEMA_VERSION + " (upgrade peft4j)");
        }
        return version;
    }

    /** Schema 1 to 2: adds the reviews table; nothing else changes, so the upgrade is one statement. */
    private void upgradeToReviews(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(ReviewTables.ddl(serial()));
        }
        try (PreparedStatement p = c.prepareStatement("UPDATE peft4j_meta SET meta_value = ? WHERE meta_key = 'schema_version'")) {
            p.setString(1, Integer.toString(SCHEMA_VERSION));
            p.executeUpdate();
        }
        LOG.info("{}: upgraded the registry schema to version {} (recorded reviews)", describe(), SCHEMA_VERSION);
    }

    private String serial() {
        return postgres ? "BIGSERIAL PRIMARY KEY" : "INTEGER PRIMARY KEY AUTOINCREMENT";
    }

    private int schemaVersion(String text) {
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new RegistryException(describe() + " is not a peft4j registry database: peft4j_meta says schema_version '"
                    + text + "'");
        }
    }

    private void create(Connection c) throws SQLException {
        String serial = serial();
        List<String> ddl = new ArrayList<>(List.of(
                "CREATE TABLE peft4j_meta (meta_key VARCHAR(64) PRIMARY KEY, meta_value TEXT NOT NULL)",
                "CREATE TABLE peft4j_adapters (name VARCHAR(200) PRIMARY KEY, created_at VARCHAR(40) NOT NULL)",
                "CREATE TABLE peft4j_versions (name VARCHAR(200) NOT NULL REFERENCES peft4j_adapters(name),"
                        + " number INTEGER NOT NULL, fingerprint CHAR(64) NOT NULL, config_sha256 CHAR(64) NOT NULL,"
                        + " weights_sha256 CHAR(64) NOT NULL, weights_bytes BIGINT NOT NULL, peft_type VARCHAR(64) NOT NULL,"
                        + " base_fingerprint TEXT, parent VARCHAR(220), lineage TEXT NOT NULL, created_by VARCHAR(200) NOT NULL,"
                        + " created_at VARCHAR(40) NOT NULL, PRIMARY KEY (name, number), UNIQUE (name, fingerprint))",
                "CREATE TABLE peft4j_aliases (name VARCHAR(200) NOT NULL, alias VARCHAR(100) NOT NULL, number INTEGER NOT NULL,"
                        + " updated_at VARCHAR(40) NOT NULL, PRIMARY KEY (name, alias), FOREIGN KEY (name, number) REFERENCES peft4j_versions(name, number))",
                "CREATE TABLE peft4j_audit (id " + serial + ", name VARCHAR(200) NOT NULL, alias VARCHAR(100),"
                        + " action VARCHAR(20) NOT NULL, from_number INTEGER, to_number INTEGER, actor VARCHAR(200) NOT NULL,"
                        + " at VARCHAR(40) NOT NULL, reason TEXT, forced INTEGER NOT NULL)",
                ReviewTables.ddl(serial)));
        try (Statement s = c.createStatement()) {
            for (String sql : ddl) {
                s.execute(sql);
            }
        }
        try (PreparedStatement p = c.prepareStatement("INSERT INTO peft4j_meta (meta_key, meta_value) VALUES (?, ?)")) {
            p.setString(1, "format");
            p.setString(2, FORMAT);
            p.executeUpdate();
            p.setString(1, "schema_version");
            p.setString(2, Integer.toString(SCHEMA_VERSION));
            p.executeUpdate();
        }
        LOG.info("{}: created an empty adapter registry", describe());
    }

    private static void rollbackQuietly(Connection c) {
        try {
            c.rollback();
        } catch (SQLException e) {
            LOG.debug("rollback failed: {}", e.getMessage());
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms + java.util.concurrent.ThreadLocalRandom.current().nextLong(ms + 1));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryException("interrupted while waiting for the registry database", e);
        }
    }
}
