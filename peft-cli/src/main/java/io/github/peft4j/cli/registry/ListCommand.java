package io.github.peft4j.cli.registry;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.github.peft4j.registry.AdapterRegistry;
import io.github.peft4j.registry.AdapterVersion;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code registry list [NAME]}: every version, with the aliases pointing at it. */
@Command(name = "list", mixinStandardHelpOptions = true, description = "List versions and their aliases.")
final class ListCommand implements Callable<Integer> {

    @Mixin
    RegistryOptions registry;

    @Parameters(index = "0", arity = "0..1", paramLabel = "NAME", description = "only this adapter")
    String name;

    @Override
    public Integer call() {
        AdapterRegistry r = registry.open();
        List<AdapterVersion> versions = name == null ? r.list() : r.versions(name);
        Map<String, Map<String, Integer>> aliases = new HashMap<>();
        Table table = new Table("VERSION", "ALIASES", "TYPE", "CREATED", "BY", "FINGERPRINT", "NOTES");
        ArrayNode json = JsonNodeFactory.instance.arrayNode();
        for (AdapterVersion v : versions) {
            StringJoiner on = new StringJoiner(",");
            aliases.computeIfAbsent(v.name(), r::aliases).forEach((alias, n) -> {
                if (n == v.number()) {
                    on.add(alias);
                }
            });
            table.row(v.ref(), on.length() == 0 ? null : on.toString(), v.peftType(), v.createdAt(), v.createdBy(),
                    v.fingerprint().substring(0, 12), v.notes());
            json.add(v.toJson().put("aliases", on.toString()));
        }
        registry.print(json, versions.isEmpty() ? "the registry is empty" : table.toString());
        return 0;
    }
}
