package io.github.peft4j.registry;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One line of the append-only audit log: a push, a promotion or a rollback, in the order the
 * database serialized them ({@code id} increases).
 *
 * <pre>{@code
 * for (AuditEntry e : registry.audit("support")) {
 *     System.out.println(e.id() + " " + e.action() + " " + e.alias() + " " + e.fromNumber() + " -> " + e.toNumber());
 * }
 * }</pre>
 *
 * @param id the position in the log
 * @param name the adapter
 * @param alias the alias moved, or {@code null} for a push
 * @param action {@code push}, {@code promote} or {@code rollback}
 * @param fromNumber the alias target before (0 when it had none, or for a push)
 * @param toNumber the version the alias points at afterwards, or the version pushed
 * @param actor who did it
 * @param at when (ISO-8601 UTC)
 * @param reason why (free text), or {@code null}
 * @param forced whether a promotion gate was overridden
 */
public record AuditEntry(long id, String name, String alias, String action, int fromNumber, int toNumber, String actor,
        String at, String reason, boolean forced) {

    /** @return the entry as JSON */
    public ObjectNode toJson() {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("id", id);
        o.put("name", name);
        o.put("alias", alias);
        o.put("action", action);
        o.put("from", fromNumber == 0 ? null : name + ":" + fromNumber);
        o.put("to", name + ":" + toNumber);
        o.put("actor", actor);
        o.put("at", at);
        o.put("reason", reason);
        o.put("forced", forced);
        return o;
    }
}
