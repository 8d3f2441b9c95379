package io.github.peft4j.registry;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

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
