package io.github.peft4j.cli.registry;

import io.github.peft4j.registry.AuditEntry;

/** The one-line human form of an alias move. */
final class Moves {

    private Moves() {}

    static String describe(AuditEntry e) {
        String from = e.fromNumber() == 0 ? "(none)" : e.name() + ":" + e.fromNumber();
        return e.name() + "@" + e.alias() + ": " + from + " -> " + e.name() + ":" + e.toNumber() + " (" + e.action()
                + (e.forced() ? ", forced" : "") + ", audit #" + e.id() + ")";
    }
}
