package io.github.peft4j.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One immutable version {@code name:N} of a registered adapter: its identity, where its two blobs
 * are, and its lineage.
 *
 * <pre>{@code
 * AdapterVersion v = registry.resolve("support@production");
 * System.out.println(v.ref() + " " + v.fingerprint() + " parent " + v.parent());
 * }</pre>
 *
 * @param name the adapter name
 * @param number the version number (1, 2, ...)
 * @param fingerprint the adapter fingerprint (core's {@code AdapterFingerprint.value})
 * @param configSha256 the blob holding the canonical {@code adapter_config.json}
 * @param weightsSha256 the blob holding {@code adapter_model.safetensors}
 * @param weightsBytes the size of the weights file
 * @param peftType the config's {@code peft_type}
 * @param baseFingerprint the base model's fingerprint, or {@code null} when unknown
 * @param parent the version training continued from ({@code name:N}), or {@code null}
 * @param createdBy who pushed it
 * @param createdAt when (ISO-8601 UTC)
 * @param lineage training arguments, data fingerprint, eval report and notes
 */
public record AdapterVersion(String name, int number, String fingerprint, String configSha256, String weightsSha256,
        long weightsBytes, String peftType, String baseFingerprint, String parent, String createdBy, String createdAt,
        JsonNode lineage) {

    /** @return {@code name:N} */
    public String ref() {
        return name + ":" + number;
    }

    /** @return the stored evaluation report, or a missing node */
    public JsonNode evalReport() {
        return lineage.path("eval_report");
    }

    /** @return the notes, or {@code null} */
    public String notes() {
        JsonNode n = lineage.path("notes");
        return n.isTextual() ? n.asText() : null;
    }

    /** @return the version as one JSON object (what {@code --json} prints) */
    public ObjectNode toJson() {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("ref", ref());
        o.put("name", name);
        o.put("version", number);
        o.put("fingerprint", fingerprint);
        o.put("config_sha256", configSha256);
        o.put("weights_sha256", weightsSha256);
        o.put("weights_bytes", weightsBytes);
        o.put("peft_type", peftType);
        o.put("base_fingerprint", baseFingerprint);
        o.put("parent", parent);
        o.put("created_by", createdBy);
        o.put("created_at", createdAt);
        o.set("lineage", lineage);
        return o;
    }
}
