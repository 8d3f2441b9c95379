package io.github.peft4j.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Where an adapter version came from, given to {@link AdapterRegistry#push}: the base it was trained
 * on, the training arguments, the curated data, the evaluation report (read by promotion gates), the
 * version training continued from, who pushed it and why. Every field is optional.
 *
 * <pre>{@code
 * Lineage lineage = Lineage.builder()
 *         .baseFingerprint(BaseModelFingerprint.of(baseDir).value())
 *         .evalReport(Json.read(runDir.resolve("report.json")))   // peft4j train's report.json
 *         .parent("support@production")
 *         .notes("weekly refresh with March tickets")
 *         .build();
 * }</pre>
 *
 * @param baseFingerprint the base model's fingerprint ({@code sha256:...} or {@code hf:name@rev}), or {@code null}
 * @param trainingArgs the training arguments as JSON, or {@code null}
 * @param dataFingerprint a fingerprint of the curated training data, or {@code null}
 * @param evalReport the evaluation report ({@code peft4j train}'s {@code report.json} shape), or {@code null}
 * @param parent the version training continued from ({@code name:N}, {@code name@alias} or {@code name}), or {@code null}
 * @param createdBy who pushed it; {@code null} means the {@code user.name} of this JVM
 * @param notes free-form notes, or {@code null}
 */
public record Lineage(String baseFingerprint, JsonNode trainingArgs, String dataFingerprint, JsonNode evalReport,
        String parent, String createdBy, String notes) {

    /** @return an empty lineage */
    public static Lineage none() {
        return builder().build();
    }

    /** @return a builder with every field unset */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Refuses text the database would refuse or alter (before any blob of a push is written).
     *
     * @throws RegistryException naming the field
     */
    void check() {
        RegistryText.check("created_by", createdBy, RegistryText.SHORT);
        RegistryText.check("notes", notes, RegistryText.UNLIMITED);
        RegistryText.check("data_fingerprint", dataFingerprint, RegistryText.UNLIMITED);
        RegistryText.check("parent", parent, RegistryText.UNLIMITED);
    }

    /** The part stored as one JSON document (the rest has columns of its own). */
    ObjectNode document() {
        ObjectNode doc = Json.MAPPER.createObjectNode();
        doc.set("training_args", trainingArgs);
        doc.put("data_fingerprint", dataFingerprint);
        doc.set("eval_report", evalReport);
        doc.put("notes", notes);
        return doc;
    }

    /** Builder of {@link Lineage}. */
    public static final class Builder {
        private String baseFingerprint;
        private JsonNode trainingArgs;
        private String dataFingerprint;
        private JsonNode evalReport;
        private String parent;
        private String createdBy;
        private String notes;

        private Builder() {}

        /** @param v the base model fingerprint @return this */
        public Builder baseFingerprint(String v) {
            this.baseFingerprint = v;
            return this;
        }

        /** @param v the training arguments @return this */
        public Builder trainingArgs(JsonNode v) {
            this.trainingArgs = v;
            return this;
        }

        /** @param v the training data fingerprint @return this */
        public Builder dataFingerprint(String v) {
            this.dataFingerprint = v;
            return this;
        }

        /** @param v the evaluation report @return this */
        public Builder evalReport(JsonNode v) {
            this.evalReport = v;
            return this;
        }

        /** @param v the parent version reference @return this */
        public Builder parent(String v) {
            this.parent = v;
            return this;
        }

        /** @param v who pushes @return this */
        public Builder createdBy(String v) {
            this.createdBy = v;
            return this;
        }

        /** @param v free-form notes @return this */
        public Builder notes(String v) {
            this.notes = v;
            return this;
        }

        /** @return the lineage */
        public Lineage build() {
            return new Lineage(baseFingerprint, trainingArgs, dataFingerprint, evalReport, parent, createdBy, notes);
        }
    }
}
