package io.github.peft4j.cli.registry;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.peft4j.registry.AdapterRegistry;
import io.github.peft4j.registry.AdapterVersion;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code registry show REF}: one version's identity, lineage and eval numbers. */
@Command(name = "show", mixinStandardHelpOptions = true, description = "Show one version (name, name:N or name@alias).")
final class ShowCommand implements Callable<Integer> {

    @Mixin
    RegistryOptions registry;

    @Parameters(index = "0", paramLabel = "REF", description = "name, name:N or name@alias")
    String ref;

    @Override
    public Integer call() {
        AdapterRegistry r = registry.open();
        AdapterVersion v = r.resolve(ref);
        StringBuilder aliases = new StringBuilder();
        for (Map.Entry<String, Integer> e : r.aliases(v.name()).entrySet()) {
            if (e.getValue() == v.number()) {
                aliases.append(aliases.length() == 0 ? "" : ", ").append(e.getKey());
            }
        }
        Table t = new Table("FIELD", "VALUE")
                .row("version", v.ref()).row("aliases", aliases.length() == 0 ? null : aliases)
                .row("fingerprint", v.fingerprint()).row("peft_type", v.peftType())
                .row("base", v.baseFingerprint()).row("parent", v.parent())
                .row("created", v.createdAt() + " by " + v.createdBy()).row("weights", v.weightsBytes() + " bytes")
                .row("notes", v.notes());
        JsonNode report = v.evalReport();
        for (String set : new String[] {"domain", "general"}) {
            JsonNode before = report.path(set).path("before");
            JsonNode after = report.path(set).path("after");
            if (after.has("perplexity")) {
                t.row(set + " perplexity", before.path("perplexity").asDouble() + " -> " + after.path("perplexity").asDouble());
            }
        }
        registry.print(v.toJson().put("aliases", aliases.toString()), t.toString());
        return 0;
    }
}
