package io.github.peft4j.registry;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.core.PeftConfig;
import io.github.peft4j.core.files.AtomicFiles;
import io.github.peft4j.core.fingerprint.AdapterFingerprint;
import io.github.peft4j.core.fingerprint.BaseModelFingerprint;
import io.github.peft4j.core.io.AdapterConfigJson;
import io.github.peft4j.core.io.AdapterDirectory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Versioned adapters: immutable auto-numbered versions {@code name:N} identified by their
 * {@link AdapterFingerprint}, content-addressed blobs stored once, lineage, movable aliases with
 * promotion gates and rollback, and an append-only audit log. Metadata lives in SQLite
 * ({@code <root>/registry.db}) or PostgreSQL; blobs in a directory ({@code <root>/blobs}).
 *
 * <pre>{@code
 * AdapterRegistry registry = AdapterRegistry.open(Path.of("runs/registry"));
 * AdapterVersion v = registry.push("support", Path.of("runs/latest/adapter"), lineage).version();
 * registry.promote(v.ref(), "production", PromotionRequest.gated(policy, "weekly refresh"));
 * registry.fetch("support@production", Path.of("/srv/adapters/support"), BaseModelFingerprint.of(baseDir));
 * registry.rollback("support", "production", "regression in ticket 4711", null);
 * }</pre>
 */
public final class AdapterRegistry {

    private static final Logger LOG = LoggerFactory.getLogger(AdapterRegistry.class);

    /** The SQLite database file of an embedded registry. */
    public static final String DATABASE_FILE = "registry.db";
    /** The blob directory of an embedded registry. */
    public static final String BLOBS_DIR = "blobs";

    private final RegistryDatabase db;
    private final BlobStore blobs;

    private AdapterRegistry(RegistryDatabase db, BlobStore blobs) {
        this.db = db;
        this.blobs = blobs;
    }

    /**
     * @param root an embedded registry's directory (created if missing)
     * @return the registry
     * @throws RegistryException if {@code root/registry.db} is not a peft4j registry database
     */
    public static AdapterRegistry open(Path root) {
        return open(root.toString(), null);
    }

    /**
     * @param location a directory, or a {@code jdbc:sqlite:} / {@code jdbc:postgresql:} URL
     * @param blobDir where blobs live; {@code null} means {@code <dir>/blobs} (or beside the SQLite
     *     file); required for PostgreSQL, where it is a directory every user of the registry shares
     * @return the registry
     */
    public static AdapterRegistry open(String location, Path blobDir) {
        String url;
        Path defaultBlobs;
        if (location.startsWith("jdbc:")) {
            url = location;
            Path sqliteFile = location.startsWith("jdbc:sqlite:") ? Path.of(location.substring("jdbc:sqlite:".length())) : null;
            defaultBlobs = sqliteFile == null ? null : sqliteFile.toAbsolutePath().getParent().resolve(BLOBS_DIR);
        } else {
            Path root = Path.of(location);
            if (Files.isRegularFile(root)) {
                throw new RegistryException(root + " is a file; a registry is a directory (holding " + DATABASE_FILE
                        + " and " + BLOBS_DIR + "/) or a jdbc: URL");
            }
            url = "jdbc:sqlite:" + root.resolve(DATABASE_FILE);
            defaultBlobs = root.resolve(BLOBS_DIR);
        }
        Path blobsAt = blobDir != null ? blobDir : defaultBlobs;
        if (blobsAt == null) {
            throw new RegistryException(RegistryDatabase.withoutPassword(location)
                    + ": a database registry needs a blob directory that all its users share (--blobs DIR)");
        }
        return new AdapterRegistry(RegistryDatabase.open(url), new BlobStore(blobsAt));
    }

    /**
     * What a push did.
     *
     * @param version the version holding the content
     * @param created {@code false} when identical content was already that adapter's version
     */
    public record PushResult(AdapterVersion version, boolean created) {}

    /**
     * Stores an adapter directory as the next version of {@code name}, or returns the existing
     * version with the same fingerprint. Blobs are written (atomically) before the version row is
     * committed, so a push killed at any point leaves no visible partial version.
     *
     * @param name the adapter name
     * @param adapterDir a directory in the HF PEFT layout
     * @param lineage where it came from
     * @return the version and whether it is new
     * @throws io.github.peft4j.core.PeftFormatException naming the file if the directory is not an adapter
     */
    public PushResult push(String name, Path adapterDir, Lineage lineage) {
        // Everything that can refuse the push is checked before the first blob is written: a refused
        // push leaves the registry exactly as it was (issue 24), not with orphan blobs.
        VersionRef.checkName(name);
        lineage.check();
        AdapterDirectory.Contents contents = PushInputs.readAdapter(adapterDir);
        PeftConfig config = contents.config();
        String base = PushInputs.baseFingerprint(lineage, config, contents.dir());
        String actor = actor(lineage.createdBy());
        if (lineage.parent() != null) {
            resolve(lineage.parent()); // again in the transaction; versions are never deleted, so this holds
        }
        PushStages.reached(PushStages.CHECKED);
        String configSha = blobs.put(AdapterFingerprint.canonicalConfig(config));
        PushStages.reached(PushStages.CONFIG_BLOB);
        String weightsSha = blobs.put(contents.weightsFile());
        PushStages.reached(PushStages.WEIGHTS_BLOB);
        AdapterFingerprint fingerprint = AdapterFingerprint.fromParts(configSha, weightsSha);
        long weightsBytes = size(blobs.path(weightsSha));
        PushResult result = db.inTransaction(c -> {
            String now = now();
            RegistryTables.lockName(c, db, name, now);
            AdapterVersion existing = RegistryTables.byFingerprint(c, name, fingerprint.value());
            if (existing != null) {
                return new PushResult(existing, false);
            }
            String parent = lineage.parent() == null ? null : resolve(c, VersionRef.parse(lineage.parent())).ref();
            int number = RegistryTables.maxNumber(c, name) + 1;
            AdapterVersion v = new AdapterVersion(name, number, fingerprint.value(), configSha, weightsSha, weightsBytes,
                    config.peftType(), base, parent, actor, now, lineage.document());
            RegistryTables.insertVersion(c, v);
            RegistryTables.appendAudit(c, name, null, "push", 0, number, actor, now, lineage.notes(), false);
            PushStages.reached(PushStages.INSERTED);
            LOG.info("{}: pushed {} ({})", db.describe(), v.ref(), fingerprint.value());
            return new PushResult(v, true);
        });
        PushStages.reached(PushStages.COMMITTED);
        return result;
    }

    /**
     * @param ref {@code name}, {@code name:N} or {@code name@alias}
     * @return the version it names
     * @throws RegistryException naming the unknown name, version or alias
     */
    public AdapterVersion resolve(String ref) {
        VersionRef parsed = VersionRef.parse(ref);
        return db.inTransaction(c -> resolve(c, parsed));
    }

    /** @return every version of every adapter, by name then number */
    public List<AdapterVersion> list() {
        return db.inTransaction(c -> RegistryTables.versions(c, ""));
    }

    /**
     * @param name an adapter name
     * @return its versions, oldest first
     * @throws RegistryException if there is no such adapter
     */
    public List<AdapterVersion> versions(String name) {
        VersionRef.checkName(name);
        return db.inTransaction(c -> {
            requireName(c, name);
            return RegistryTables.versions(c, "WHERE name = ?", name);
        });
    }

    /**
     * @param name an adapter name
     * @return alias → version number, by alias
     */
    public Map<String, Integer> aliases(String name) {
        VersionRef.checkName(name);
        return db.inTransaction(c -> RegistryTables.aliases(c, name));
    }

    /**
     * @param name an adapter name
     * @return its audit log, oldest first
     */
    public List<AuditEntry> audit(String name) {
        VersionRef.checkName(name);
        return db.inTransaction(c -> RegistryTables.audit(c, name, null));
    }

    /**
     * Moves an alias to a version, atomically, after checking the request's gate against the stored
     * eval reports of the version and of the alias's current holder.
     *
     * @param ref the version to promote
     * @param alias the alias ({@code production}, {@code staging}, ...)
     * @param request the gate, force flag, reason and actor
     * @return the audit entry of the move
     * @throws PromotionRefusedException naming each failed criterion with both numbers
     */
    public AuditEntry promote(String ref, String alias, PromotionRequest request) {
        VersionRef parsed = VersionRef.parse(ref);
        VersionRef.checkAlias(alias);
        String actor = actor(request.actor());
        return db.inTransaction(c -> {
            String now = now();
            requireName(c, parsed.name());
            RegistryTables.lockName(c, db, parsed.name(), now);
            AdapterVersion candidate = resolve(c, parsed);
            Integer holderNumber = RegistryTables.aliases(c, candidate.name()).get(alias);
            AdapterVersion holder = holderNumber == null ? null : RegistryTables.version(c, candidate.name(), holderNumber);
            List<String> failures = request.policy() == null ? List.of()
                    : request.policy().failures(candidate, holder, ReviewTables.latest(c, candidate));
            if (!failures.isEmpty() && !request.force()) {
                throw new PromotionRefusedException(candidate.ref() + " -> " + candidate.name() + "@" + alias, failures);
            }
            String reason = request.reason();
            if (!failures.isEmpty()) {
                reason = (reason == null ? "" : reason + "; ") + "forced past the gate " + Json.write(request.policy().toJson())
                        + ": " + String.join("; ", failures);
            }
            RegistryTables.setAlias(c, candidate.name(), alias, candidate.number(), now);
            RegistryTables.appendAudit(c, candidate.name(), alias, "promote", holderNumber == null ? 0 : holderNumber,
                    candidate.number(), actor, now, reason, request.force());
            return last(c, candidate.name(), alias);
        });
    }

    /**
     * Records a human-review summary with a version (append-only; gates read the latest). The
     * summary must say which adapter it reviewed ({@code systems.candidate.fingerprint}), and that
     * must be this version's fingerprint, so a review of one adapter cannot vouch for another.
     *
     * @param ref the version reviewed
     * @param summary the summary {@code peft4j review summarize} writes
     * @param actor who records it, or {@code null} for this JVM's {@code user.name}
     * @return the recorded review
     * @throws RegistryException if the summary reviewed another adapter, or does not say which
     */
    public AdapterReview recordReview(String ref, JsonNode summary, String actor) {
        VersionRef parsed = VersionRef.parse(ref);
        String who = actor(actor);
        return db.inTransaction(c -> {
            String now = now();
            AdapterVersion v = resolve(c, parsed);
            String reviewed = summary.path("systems").path(ReviewGate.CANDIDATE).path("fingerprint").asText(null);
            if (!v.fingerprint().equals(reviewed)) {
                throw new RegistryException(reviewed == null
                        ? "the review summary names no candidate fingerprint (systems.candidate.fingerprint); cannot record it with " + v.ref()
                        : "the review summary is of adapter " + reviewed + ", not of " + v.ref() + " (" + v.fingerprint() + ")");
            }
            RegistryTables.lockName(c, db, v.name(), now);
            ReviewTables.insert(c, v, Json.write(summary), who, now);
            List<AdapterReview> all = ReviewTables.of(c, v);
            LOG.info("{}: recorded a review of {}", db.describe(), v.ref());
            return all.get(all.size() - 1);
        });
    }

    /**
     * @param ref a version reference
     * @return the reviews recorded with that version, oldest first
     */
    public List<AdapterReview> reviews(String ref) {
        VersionRef parsed = VersionRef.parse(ref);
        return db.inTransaction(c -> ReviewTables.of(c, resolve(c, parsed)));
    }

    /**
     * Moves an alias back to the target it had before its latest promotion (repeatable: each
     * rollback steps one promotion further back).
     *
     * @param name the adapter
     * @param alias the alias
     * @param reason why, or {@code null}
     * @param actor who, or {@code null} for this JVM's {@code user.name}
     * @return the audit entry of the move
     * @throws RegistryException if the alias is unknown or has no previous target
     */
    public AuditEntry rollback(String name, String alias, String reason, String actor) {
        VersionRef.checkName(name);
        VersionRef.checkAlias(alias);
        String who = actor(actor);
        return db.inTransaction(c -> {
            String now = now();
            requireName(c, name);
            RegistryTables.lockName(c, db, name, now);
            Map<String, Integer> aliases = RegistryTables.aliases(c, name);
            Integer current = aliases.get(alias);
            if (current == null) {
                throw new RegistryException(name + " has no alias '" + alias + "' (aliases: " + aliases.keySet() + ")");
            }
            Deque<Integer> history = new ArrayDeque<>();
            for (AuditEntry e : RegistryTables.audit(c, name, alias)) {
                if (e.action().equals("promote") && (history.isEmpty() || history.peek() != e.toNumber())) {
                    history.push(e.toNumber());
                } else if (e.action().equals("rollback") && !history.isEmpty()) {
                    history.pop();
                }
            }
            if (!history.isEmpty()) {
                history.pop();
            }
            if (history.isEmpty()) {
                throw new RegistryException(name + "@" + alias + " has no previous target to roll back to (it points at "
                        + name + ":" + current + " and nothing earlier)");
            }
            int target = history.peek();
            RegistryTables.setAlias(c, name, alias, target, now);
            RegistryTables.appendAudit(c, name, alias, "rollback", current, target, who, now, reason, false);
            return last(c, name, alias);
        });
    }

    /**
     * Writes a version as a plain HF PEFT adapter directory ({@code adapter_config.json} +
     * {@code adapter_model.safetensors}), each file verified against its SHA-256 as it is copied.
     *
     * @param ref the version
     * @param dir the target directory (created if missing)
     * @return the version exported
     * @throws RegistryException naming the blob if it is missing or corrupt; the target files are then unchanged
     */
    public AdapterVersion export(String ref, Path dir) {
        AdapterVersion v = resolve(ref);
        // Both blobs are verified before either file is replaced: a corrupt config blob found after
        // the weights were written would leave new weights beside an old config.
        byte[] config = blobs.read(v.configSha256(), v.ref() + " " + AdapterConfigJson.FILE_NAME);
        blobs.copyTo(v.weightsSha256(), dir.resolve(AdapterDirectory.WEIGHTS_FILE), v.ref() + " " + AdapterDirectory.WEIGHTS_FILE);
        AtomicFiles.write(dir.resolve(AdapterConfigJson.FILE_NAME), config);
        return v;
    }

    /**
     * Exports a version for a given base model, refusing a base it was not trained on.
     *
     * @param ref the version
     * @param dir the target directory
     * @param base the fingerprint of the base it will be applied to
     * @return the version fetched
     * @throws PeftCompatibilityException naming both fingerprints if they differ
     */
    public AdapterVersion fetch(String ref, Path dir, BaseModelFingerprint base) {
        AdapterVersion v = resolve(ref);
        if (v.baseFingerprint() == null) {
            LOG.warn("{} records no base-model fingerprint; cannot check that it fits {}", v.ref(), base);
        } else if (!v.baseFingerprint().equals(base.value())) {
            throw new PeftCompatibilityException(v.ref() + " was trained on base " + v.baseFingerprint()
                    + " but the base given is " + base.value() + "; fetch a version trained on this base");
        }
        return export(v.ref(), dir);
    }

    /**
     * @param version a version
     * @return its canonical {@code adapter_config.json}, verified
     */
    public JsonNode config(AdapterVersion version) {
        return Json.parse(new String(blobs.read(version.configSha256(), version.ref() + " " + AdapterConfigJson.FILE_NAME),
                java.nio.charset.StandardCharsets.UTF_8));
    }

    /**
     * @param left a version reference
     * @param right another
     * @return how their configs and metadata differ
     */
    public VersionDiff diff(String left, String right) {
        AdapterVersion a = resolve(left);
        AdapterVersion b = resolve(right);
        return VersionDiff.of(a, config(a), b, config(b));
    }

    /**
     * Hashes every blob and checks every version's two blobs and fingerprint.
     *
     * @return what was found
     */
    public VerifyReport verify() {
        return VerifyReport.check(list(), blobs);
    }

    /**
     * Deletes blobs no version references and temporary files of killed writers, when older than a
     * grace period (a push in progress writes its blobs before its version row; the grace period
     * keeps them).
     *
     * @param grace how old an unreferenced file must be to go
     * @return the file names removed
     */
    public List<String> gc(Duration grace) {
        Instant cutoff = Instant.now().minus(grace);
        VerifyReport report = verify();
        List<String> removed = new ArrayList<>();
        List<String> candidates = new ArrayList<>(report.unreferenced());
        candidates.addAll(report.staleTemporaries());
        for (String name : candidates) {
            if (!blobs.modified(name).isAfter(cutoff) && blobs.delete(name)) {
                removed.add(name);
            }
        }
        LOG.info("{}: gc removed {} files", db.describe(), removed.size());
        return removed;
    }

    /** @return where the blobs are */
    public Path blobDir() {
        return blobs.dir();
    }

    /** @return the database, password hidden */
    public String describe() {
        return db.describe();
    }

    private AdapterVersion resolve(Connection c, VersionRef ref) throws SQLException {
        requireName(c, ref.name());
        if (ref.alias() != null) {
            Map<String, Integer> aliases = RegistryTables.aliases(c, ref.name());
            Integer n = aliases.get(ref.alias());
            if (n == null) {
                throw new RegistryException(ref.name() + " has no alias '" + ref.alias() + "' (aliases: " + aliases.keySet() + ")");
            }
            AdapterVersion target = RegistryTables.version(c, ref.name(), n);
            if (target == null) {
                throw new RegistryException(ref + " points at " + ref.name() + ":" + n + ", which is not in registry "
                        + db.describe() + " (the database was changed outside peft4j; run verify)");
            }
            return target;
        }
        if (ref.number() > 0) {
            AdapterVersion v = RegistryTables.version(c, ref.name(), ref.number());
            if (v == null) {
                throw new RegistryException(ref.name() + " has no version " + ref.number() + " (latest is "
                        + ref.name() + ":" + RegistryTables.maxNumber(c, ref.name()) + ")");
            }
            return v;
        }
        return RegistryTables.latest(c, ref.name());
    }

    private void requireName(Connection c, String name) throws SQLException {
        if (!RegistryTables.nameExists(c, name)) {
            throw new RegistryException("no adapter named '" + name + "' in registry " + db.describe());
        }
    }

    private static AuditEntry last(Connection c, String name, String alias) throws SQLException {
        List<AuditEntry> log = RegistryTables.audit(c, name, alias);
        return log.get(log.size() - 1);
    }

    private static String actor(String given) {
        String actor = given != null ? given : System.getProperty("user.name", "unknown");
        RegistryText.check("actor", actor, RegistryText.SHORT);
        return actor;
    }

    private static String now() {
        return Instant.now().truncatedTo(ChronoUnit.MILLIS).toString();
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (java.io.IOException e) {
            throw new RegistryException("cannot read the size of " + file + ": " + e.getMessage(), e);
        }
    }
}
