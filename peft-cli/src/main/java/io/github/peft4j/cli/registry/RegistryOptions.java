package io.github.peft4j.cli.registry;

import io.github.peft4j.registry.AdapterRegistry;
import io.github.peft4j.registry.Json;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Options every {@code registry} subcommand shares: where the registry is and how to print. */
final class RegistryOptions {

    @Option(names = "--registry", paramLabel = "DIR|JDBC_URL", defaultValue = "runs/registry",
            description = "registry directory (SQLite + blobs) or jdbc:postgresql://... URL (default: ${DEFAULT-VALUE})")
    String location;

    @Option(names = "--blobs", paramLabel = "DIR",
            description = "blob directory; required with a PostgreSQL URL (a directory all its users share)")
    Path blobs;

    @Option(names = "--json", description = "print JSON for scripts instead of tables")
    boolean json;

    AdapterRegistry open() {
        return AdapterRegistry.open(location, blobs);
    }

    /** Prints a JSON value when {@code --json} was given, else the human form. */
    void print(Object jsonValue, String human) {
        System.out.println(json ? Json.pretty(jsonValue) : human);
    }
}
