package io.github.peft4j.registry;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.peft4j.core.fingerprint.AdapterFingerprint;
import io.github.peft4j.core.fingerprint.Sha256;
import io.github.peft4j.core.io.AdapterConfigJson;
import io.github.peft4j.core.io.AdapterDirectory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What {@link AdapterRegistry#verify()} found. Only {@code problems} make a registry unhealthy:
 * unreferenced blobs and stale temporary files are what a killed push leaves, harmless and removed
 * by {@link AdapterRegistry#gc}.
 *
 * <pre>{@code
 * VerifyReport r = registry.verify();
 * if (!r.ok()) r.problems().forEach(System.err::println);
 * }</pre>
 *
 * @param versions how many versions were checked
 * @param blobs how many blob files were hashed
 * @param problems missing or corrupt blobs and fingerprint mismatches, each naming the version and file
 * @param unreferenced blobs no version references
 * @param staleTemporaries temporary files left by killed writers
 */
public record VerifyReport(int versions, int blobs, List<String> problems, List<String> unreferenced,
        List<String> staleTemporaries) {

    /**
     * Hashes every blob and checks every version's two blobs and fingerprint.
     *
     * @param all the registry's versions
     * @param blobs its blob store
     * @return what was found
     */
    static VerifyReport check(List<AdapterVersion> all, BlobStore blobs) {
        Map<String, String> problemOf = new HashMap<>();
        for (String sha : blobs.list()) {
            String problem = blobs.problem(sha);
            problemOf.put(sha, problem == null ? "" : problem);
        }
        List<String> problems = new ArrayList<>();
        Set<String> referenced = new LinkedHashSet<>();
        for (AdapterVersion v : all) {
            String[][] files = {{v.configSha256(), AdapterConfigJson.FILE_NAME}, {v.weightsSha256(), AdapterDirectory.WEIGHTS_FILE}};
            for (String[] f : files) {
                referenced.add(f[0]);
                String problem = problemOf.computeIfAbsent(f[0], blobs::problem);
                if (problem != null && !problem.isEmpty()) {
                    problems.add(v.ref() + " " + f[1] + ": blob " + blobs.dir().resolve(String.valueOf(f[0])) + " is " + problem);
                }
            }
            if (!Sha256.isHex(v.configSha256()) || !Sha256.isHex(v.weightsSha256())
                    || !AdapterFingerprint.fromParts(v.configSha256(), v.weightsSha256()).value().equals(v.fingerprint())) {
                problems.add(v.ref() + ": stored fingerprint " + v.fingerprint() + " does not match its blobs");
            }
        }
        List<String> unreferenced = new ArrayList<>();
        for (String sha : blobs.list()) {
            if (!referenced.contains(sha)) {
                unreferenced.add(sha);
                if (!problemOf.get(sha).isEmpty()) {
                    problems.add("unreferenced blob " + blobs.path(sha) + " is " + problemOf.get(sha));
                }
            }
        }
        return new VerifyReport(all.size(), problemOf.size(), problems, unreferenced, blobs.staleTemporaries());
    }

    /** @return whether nothing is missing or corrupt */
    public boolean ok() {
        return problems.isEmpty();
    }

    /** @return the report as JSON */
    public ObjectNode toJson() {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("ok", ok());
        o.put("versions", versions);
        o.put("blobs", blobs);
        o.set("problems", Json.MAPPER.valueToTree(problems));
        o.set("unreferenced", Json.MAPPER.valueToTree(unreferenced));
        o.set("stale_temporaries", Json.MAPPER.valueToTree(staleTemporaries));
        return o;
    }
}
