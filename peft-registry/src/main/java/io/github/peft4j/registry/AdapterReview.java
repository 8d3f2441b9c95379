package io.github.peft4j.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A human-review summary recorded with a version (append-only; a promotion gate reads the latest).
 * The summary is the JSON {@code peft4j review summarize} writes: win rates with their intervals,
 * acceptance rates and flag counts per reviewed system.
 *
 * <pre>{@code
 * AdapterReview r = registry.recordReview("support:3", Json.read(Path.of("summary.json")), null);
 * System.out.println(r.ref() + " reviewed by " + r.actor() + " at " + r.at());
 * }</pre>
 *
 * @param id the position among all recorded reviews
 * @param name the adapter
 * @param number the version reviewed
 * @param summary the review summary
 * @param actor who recorded it
 * @param at when (ISO-8601 UTC)
 */
public record AdapterReview(long id, String name, int number, JsonNode summary, String actor, String at) {

    /** @return {@code name:N} */
    public String ref() {
        return name + ":" + number;
    }

    /** @return the review as JSON */
    public ObjectNode toJson() {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("id", id);
        o.put("ref", ref());
        o.put("actor", actor);
        o.put("at", at);
        o.set("summary", summary);
        return o;
    }
}
