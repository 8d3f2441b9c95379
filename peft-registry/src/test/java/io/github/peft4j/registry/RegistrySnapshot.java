package io.github.peft4j.registry;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Everything a registry holds that an operation could change: every version row, every alias, the
 * whole audit log, and every file in the blob directory with its size. Two equal snapshots mean a
 * failed operation left nothing behind (no version, no alias move, no audit entry, no blob, no
 * temporary file).
 *
 * @param versions every version, by name then number
 * @param aliases alias map of each adapter name
 * @param audit audit log of each adapter name
 * @param files blob directory file name → size
 */
record RegistrySnapshot(List<AdapterVersion> versions, Map<String, Map<String, Integer>> aliases,
        Map<String, List<AuditEntry>> audit, Map<String, Long> files) {

    static RegistrySnapshot of(AdapterRegistry registry) {
        List<AdapterVersion> versions = registry.list();
        Map<String, Map<String, Integer>> aliases = new TreeMap<>();
        Map<String, List<AuditEntry>> audit = new TreeMap<>();
        for (AdapterVersion v : versions) {
            aliases.computeIfAbsent(v.name(), registry::aliases);
            audit.computeIfAbsent(v.name(), registry::audit);
        }
        return new RegistrySnapshot(versions, aliases, audit, files(registry.blobDir()));
    }

    /**
     * @param after a later snapshot
     * @return what differs, in one short line per part, or "" when nothing does
     */
    String changesTo(RegistrySnapshot after) {
        StringBuilder out = new StringBuilder();
        if (!versions.equals(after.versions)) {
            List<AdapterVersion> added = new java.util.ArrayList<>(after.versions);
            added.removeAll(versions);
            out.append("versions added/changed: ").append(added.stream().map(AdapterVersion::ref).toList()).append("; ");
        }
        if (!aliases.equals(after.aliases)) {
            out.append("aliases ").append(aliases).append(" -> ").append(after.aliases).append("; ");
        }
        if (!audit.equals(after.audit)) {
            out.append("audit log changed; ");
        }
        if (!files.equals(after.files)) {
            Map<String, Long> added = new TreeMap<>(after.files);
            files.forEach(added::remove);
            Map<String, Long> removed = new TreeMap<>(files);
            after.files.forEach(removed::remove);
            out.append("blob files added/resized ").append(added).append(", removed ").append(removed);
        }
        return out.toString();
    }

    /** @return file name → size of every file in a directory (empty if it does not exist) */
    static Map<String, Long> files(Path dir) {
        Map<String, Long> out = new TreeMap<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (Stream<Path> list = Files.list(dir)) {
            for (Path p : (Iterable<Path>) list::iterator) {
                out.put(p.getFileName().toString(), Files.isRegularFile(p) ? Files.size(p) : -1L);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }
}
