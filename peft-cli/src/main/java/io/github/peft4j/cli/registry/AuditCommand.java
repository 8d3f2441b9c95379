package io.github.peft4j.cli.registry;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.github.peft4j.registry.AuditEntry;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code registry audit NAME}: the append-only log of pushes and alias moves. */
@Command(name = "audit", mixinStandardHelpOptions = true, description = "Print an adapter's audit log (pushes, promotions, rollbacks).")
final class AuditCommand implements Callable<Integer> {

    @Mixin
    RegistryOptions registry;

    @Parameters(index = "0", paramLabel = "NAME", description = "adapter name")
    String name;

    @Override
    public Integer call() {
        List<AuditEntry> log = registry.open().audit(name);
        Table t = new Table("#", "AT", "BY", "ACTION", "ALIAS", "FROM", "TO", "REASON");
        ArrayNode json = JsonNodeFactory.instance.arrayNode();
        for (AuditEntry e : log) {
            t.row(e.id(), e.at(), e.actor(), e.action() + (e.forced() ? " (forced)" : ""), e.alias(),
                    e.fromNumber() == 0 ? null : e.fromNumber(), e.toNumber(), e.reason());
            json.add(e.toJson());
        }
        registry.print(json, t.toString());
        return 0;
    }
}
