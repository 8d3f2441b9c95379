package io.github.peft4j.registry;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/** The SQL of recorded reviews: append-only rows, read back oldest first. */
final class ReviewTables {

    private ReviewTables() {}

    /** @return the DDL of the table (schema version 2) */
    static String ddl(String serial) {
        return "CREATE TABLE peft4j_reviews (id " + serial + ", name VARCHAR(200) NOT NULL, number INTEGER NOT NULL,"
                + " summary TEXT NOT NULL, actor VARCHAR(200) NOT NULL, at VARCHAR(40) NOT NULL,"
                + " FOREIGN KEY (name, number) REFERENCES peft4j_versions(name, number))";
    }

    static void insert(Connection c, AdapterVersion v, String summaryJson, String actor, String at) throws SQLException {
        try (PreparedStatement p = c.prepareStatement(
                "INSERT INTO peft4j_reviews (name, number, summary, actor, at) VALUES (?, ?, ?, ?, ?)")) {
            p.setString(1, v.name());
            p.setInt(2, v.number());
            p.setString(3, summaryJson);
            p.setString(4, actor);
            p.setString(5, at);
            p.executeUpdate();
        }
    }

    static List<AdapterReview> of(Connection c, AdapterVersion v) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("SELECT id, name, number, summary, actor, at FROM peft4j_reviews"
                + " WHERE name = ? AND number = ? ORDER BY id")) {
            p.setString(1, v.name());
            p.setInt(2, v.number());
            List<AdapterReview> out = new ArrayList<>();
            try (ResultSet rs = p.executeQuery()) {
                while (rs.next()) {
                    out.add(new AdapterReview(rs.getLong(1), rs.getString(2), rs.getInt(3), Json.parse(rs.getString(4)),
                            rs.getString(5), rs.getString(6)));
                }
            }
            return out;
        }
    }

    /** @return the latest review of a version, or {@code null} */
    static AdapterReview latest(Connection c, AdapterVersion v) throws SQLException {
        List<AdapterReview> all = of(c, v);
        return all.isEmpty() ? null : all.get(all.size() - 1);
    }
}
