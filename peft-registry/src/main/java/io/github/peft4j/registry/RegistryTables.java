package io.github.peft4j.registry;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.peft4j.core.fingerprint.Sha256;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The SQL of the registry, one statement per method, all inside a transaction the caller opened.
 * Nothing here updates or deletes a version or an audit row: versions are immutable and the log is
 * append-only.
 */
final class RegistryTables {

    private static final String VERSION_COLUMNS = "name, number, fingerprint, config_sha256, weights_sha256, weights_bytes,"
            + " peft_type, base_fingerprint, parent, lineage, created_by, created_at";

    private RegistryTables() {}

    /** Creates the adapter's row if needed and locks it until the transaction ends. */
    static void lockName(Connection c, RegistryDatabase db, String name, String now) throws SQLException {
        try (PreparedStatement p = c.prepareStatement(
                "INSERT INTO peft4j_adapters (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING")) {
            p.setString(1, name);
            p.setString(2, now);
            p.executeUpdate();
        }
        try (PreparedStatement p = c.prepareStatement("SELECT name FROM peft4j_adapters WHERE name = ?" + db.forUpdate())) {
            p.setString(1, name);
            p.executeQuery().close();
        }
    }

    static boolean nameExists(Connection c, String name) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("SELECT 1 FROM peft4j_versions WHERE name = ?")) {
            p.setString(1, name);
            try (ResultSet rs = p.executeQuery()) {
                return rs.next();
            }
        }
    }

    static AdapterVersion version(Connection c, String name, int number) throws SQLException {
        List<AdapterVersion> found = versions(c, "WHERE name = ? AND number = ?", name, number);
        return found.isEmpty() ? null : found.get(0);
    }

    static AdapterVersion latest(Connection c, String name) throws SQLException {
        List<AdapterVersion> found = versions(c,
                "WHERE name = ? AND number = (SELECT MAX(number) FROM peft4j_versions WHERE name = ?)", name, name);
        return found.isEmpty() ? null : found.get(0);
    }

    static AdapterVersion byFingerprint(Connection c, String name, String fingerprint) throws SQLException {
        List<AdapterVersion> found = versions(c, "WHERE name = ? AND fingerprint = ?", name, fingerprint);
        return found.isEmpty() ? null : found.get(0);
    }

    static List<AdapterVersion> versions(Connection c, String where, Object... args) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("SELECT " + VERSION_COLUMNS + " FROM peft4j_versions " + where
                + " ORDER BY name, number")) {
            bind(p, args);
            List<AdapterVersion> out = new ArrayList<>();
            try (ResultSet rs = p.executeQuery()) {
                while (rs.next()) {
                    out.add(version(rs, c));
                }
            }
            return out;
        }
    }

    /**
     * One version row, checked: its fingerprint names a cache directory in peft-serve and its hashes
     * name blob files, so a row changed by hand ({@code ../x}) is refused here, naming the row.
     */
    private static AdapterVersion version(ResultSet rs, Connection c) throws SQLException {
        String row = RegistryDatabase.withoutPassword(c.getMetaData().getURL()) + ": version row " + rs.getString(1) + ":"
                + rs.getInt(2);
        String[] hashColumns = {"fingerprint", "config_sha256", "weights_sha256"};
        for (int i = 0; i < hashColumns.length; i++) {
            String value = rs.getString(3 + i);
            if (!Sha256.isHex(value)) {
                throw new RegistryException(row + ": " + hashColumns[i] + " '" + value + "' is not a sha256 (64 lowercase hex"
                        + " digits); the registry database was changed outside peft4j");
            }
        }
        JsonNode lineage;
        try {
            lineage = Json.parse(rs.getString(10));
        } catch (RegistryException e) {
            throw new RegistryException(row + ": lineage " + e.getMessage(), e);
        }
        return new AdapterVersion(rs.getString(1), rs.getInt(2), rs.getString(3), rs.getString(4), rs.getString(5),
                rs.getLong(6), rs.getString(7), rs.getString(8), rs.getString(9), rs.getString(11), rs.getString(12), lineage);
    }

    static void insertVersion(Connection c, AdapterVersion v) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("INSERT INTO peft4j_versions (" + VERSION_COLUMNS
                + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            bind(p, v.name(), v.number(), v.fingerprint(), v.configSha256(), v.weightsSha256(), v.weightsBytes(),
                    v.peftType(), v.baseFingerprint(), v.parent(), Json.write(v.lineage()), v.createdBy(), v.createdAt());
            p.executeUpdate();
        }
    }

    static int maxNumber(Connection c, String name) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("SELECT COALESCE(MAX(number), 0) FROM peft4j_versions WHERE name = ?")) {
            p.setString(1, name);
            try (ResultSet rs = p.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    /** @return alias → version number for one adapter, by alias name */
    static Map<String, Integer> aliases(Connection c, String name) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("SELECT alias, number FROM peft4j_aliases WHERE name = ? ORDER BY alias")) {
            p.setString(1, name);
            Map<String, Integer> out = new LinkedHashMap<>();
            try (ResultSet rs = p.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getString(1), rs.getInt(2));
                }
            }
            return out;
        }
    }

    static void setAlias(Connection c, String name, String alias, int number, String now) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("INSERT INTO peft4j_aliases (name, alias, number, updated_at) VALUES (?, ?, ?, ?)"
                + " ON CONFLICT (name, alias) DO UPDATE SET number = excluded.number, updated_at = excluded.updated_at")) {
            bind(p, name, alias, number, now);
            p.executeUpdate();
        }
    }

    static void appendAudit(Connection c, String name, String alias, String action, int from, int to, String actor,
            String now, String reason, boolean forced) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("INSERT INTO peft4j_audit (name, alias, action, from_number, to_number,"
                + " actor, at, reason, forced) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            bind(p, name, alias, action, from == 0 ? null : from, to, actor, now, reason, forced ? 1 : 0);
            p.executeUpdate();
        }
    }

    static List<AuditEntry> audit(Connection c, String name, String alias) throws SQLException {
        String where = alias == null ? "WHERE name = ?" : "WHERE name = ? AND alias = ?";
        try (PreparedStatement p = c.prepareStatement("SELECT id, name, alias, action, from_number, to_number, actor, at,"
                + " reason, forced FROM peft4j_audit " + where + " ORDER BY id")) {
            bind(p, alias == null ? new Object[] {name} : new Object[] {name, alias});
            List<AuditEntry> out = new ArrayList<>();
            try (ResultSet rs = p.executeQuery()) {
                while (rs.next()) {
                    out.add(new AuditEntry(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getInt(5),
                            rs.getInt(6), rs.getString(7), rs.getString(8), rs.getString(9), rs.getInt(10) != 0));
                }
            }
            return out;
        }
    }

    private static void bind(PreparedStatement p, Object... args) throws SQLException {
        for (int i = 0; i < args.length; i++) {
            Object a = args[i];
            if (a == null) {
                p.setNull(i + 1, Types.NULL); // untyped, so PostgreSQL accepts it for any column
            } else if (a instanceof Integer n) {
                p.setInt(i + 1, n);
            } else if (a instanceof Long n) {
                p.setLong(i + 1, n);
            } else {
                p.setString(i + 1, a.toString());
            }
        }
    }
}
