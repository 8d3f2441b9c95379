package io.github.peft4j.cli.registry;

import io.github.peft4j.registry.AdapterRegistry;
import io.github.peft4j.registry.Json;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Options every {@code registry} subcommand shares: where the registry is and how to print. */
final class RegistryOptions {

    @Mixin
    RegistryLocation where;

    @Option(names = "--json", description = "print JSON for scripts instead of tables")
    boolean json;

    AdapterRegistry open() {
        return where.open();
    }

    /** Prints a JSON value when {@code --json} was given, else the human form. */
    void print(Object jsonValue, String human) {
        System.out.println(json ? Json.pretty(jsonValue) : human);
    }
}
